import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { readTraceBuckets, tokensPerHourProfile } from '#gridshift/datasets';
import type { JobSpec } from './files.js';
import type { TraceProfiles } from './inputs.js';

// The only file IO of this lib: load the real-trace demand shapes that job files refer to.

/** A `demandTrace.file` that does not exist or cannot be read as a per-minute trace. */
export class TraceFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`demandTrace.file ${file}: ${message}`);
    this.name = 'TraceFileError';
  }
}

/**
 * Where a `demandTrace.file` lives: an absolute path as is, else under `dataDir` (the repository's `data/`),
 * else relative to `jobFileDir`. Throws TraceFileError when none exists.
 */
export function resolveTraceFile(file: string, dataDir: string, jobFileDir?: string): string {
  const candidates = isAbsolute(file)
    ? [file]
    : [join(dataDir, file), ...(jobFileDir === undefined ? [] : [resolve(jobFileDir, file)])];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new TraceFileError(file, `not found (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * Reads the demand shape of every trace the jobs use: the per-minute file split into 24 windows, tokens per
 * hour of each (`tokensPerHourProfile`), window h → UTC hour h of every day.
 */
export function readTraceProfiles(
  jobs: readonly JobSpec[],
  dataDir: string,
  jobFileDir?: string,
): TraceProfiles {
  const profiles = new Map<string, number[]>();
  for (const job of jobs) {
    const file = job.demandTrace?.file;
    if (file === undefined || profiles.has(file)) continue;
    const path = resolveTraceFile(file, dataDir, jobFileDir);
    try {
      profiles.set(
        file,
        tokensPerHourProfile(readTraceBuckets(path), { slots: 24 }).map((w) => w.tokensPerHour),
      );
    } catch (error) {
      throw new TraceFileError(file, error instanceof Error ? error.message : String(error));
    }
  }
  return profiles;
}
