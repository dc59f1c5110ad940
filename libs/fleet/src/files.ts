import { z } from 'zod';
import YAML from 'yaml';

// Documented formats of the fleet file (clusters) and the job file (inference workloads), JSON or YAML.
// Used by the demo, the data-center simulator and the backtest; the admin API accepts the same fields.

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" or "-", at most 63 characters');

export const ClusterSpecSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  region: z.string().min(1),
  /** Price zone the cluster draws power from, e.g. `DE-LU`. */
  zone: z.string().min(1),
  gpuModel: z.string().min(1),
  gpuTotal: z.int().min(0),
  /** IT power of one busy GPU incl. its share of the server, kW. */
  kwPerGpu: z.number().positive().max(10),
  pue: z.number().min(1).max(3),
  powerCapKw: z.number().positive().nullable().optional(),
  latencyMsByOrigin: z.record(z.string(), z.number().min(0)).default({}),
  /** Share of GPUs busy with other work at the busiest local hour (the simulator's daily shape), 0..1. */
  peakBusyShare: z.number().min(0).max(1).default(0.7),
  /** Share of GPUs busy at the quietest local hour, 0..1. */
  troughBusyShare: z.number().min(0).max(1).default(0.35),
  /** IANA time zone of the site, for the daily load shape. */
  timeZone: z.string().default('UTC'),
});

export const FleetFileSchema = z.strictObject({
  /** Base currency every price is converted to. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('USD'),
  clusters: z.array(ClusterSpecSchema).min(1),
});

const demandTrace = z.strictObject({
  /** Azure LLM trace per-minute file under data/ (`llm-traces/..._per_minute.csv`). */
  file: z.string().min(1),
  /** Multiplies the trace's token rate (the traces are one service's sample). */
  scale: z.number().positive().default(1),
});

/** Release periods of a batch job, hours: the divisors of 24, so every UTC day has the same releases. */
export const RELEASE_EVERY_HOURS: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 24];

export const JobSpecSchema = z
  .strictObject({
    id,
    name: z.string().min(1).optional(),
    model: z.string().min(1),
    kind: z.enum(['interactive', 'batch']),
    /** Tokens per second one GPU produces for this model, per GPU model, e.g. { H100: 2400 }. */
    tokensPerSecondPerGpu: z.record(z.string(), z.number().positive()),
    /** Interactive: steady demand, tokens per hour (or use demandTrace). */
    tokensPerHour: z.number().min(0).optional(),
    /** Interactive: demand shape from a real trace (24 windows → 24 hours). */
    demandTrace: demandTrace.optional(),
    /** Batch: tokens to produce inside [windowStartHour, deadlineHour) of the planning day (per release). */
    totalTokens: z.number().min(0).optional(),
    windowStartHour: z.int().min(0).max(168).optional(),
    deadlineHour: z.int().min(1).max(168).optional(),
    /**
     * Batch: release an instance every this many hours (a divisor of 24; default 24 = one a day). Each UTC day,
     * instance k (k = 0 … 24/releaseEveryHours − 1) opens at windowStartHour + k·releaseEveryHours, runs for
     * deadlineHour − windowStartHour hours and carries `totalTokens` of its own.
     */
    releaseEveryHours: z
      .int()
      .refine((hours) => RELEASE_EVERY_HOURS.includes(hours), {
        message: `must divide 24: one of ${RELEASE_EVERY_HOURS.join(', ')}`,
      })
      .optional(),
    origin: z.string().min(1),
    latencySlaMs: z.number().positive().optional(),
    /** Price zones the data may be processed in; empty or missing = anywhere. */
    residency: z.array(z.string().min(1)).default([]),
    /** Priority tier; the planner prices unserved GPU-hours per tier (critical, standard, batch, best-effort). */
    tier: z.string().min(1).default('standard'),
    maxGpus: z.int().positive(),
    /** Cluster the job runs in today (the home baseline). */
    homeClusterId: z.string().optional(),
  })
  .superRefine((job, ctx) => {
    if (job.kind === 'interactive' && job.tokensPerHour === undefined && job.demandTrace === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['tokensPerHour'],
        message: 'an interactive job needs tokensPerHour or demandTrace',
      });
    if (job.tokensPerHour !== undefined && job.demandTrace !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['demandTrace'],
        message: 'set tokensPerHour (steady demand) or demandTrace (traced demand), not both',
      });
    if (job.kind === 'interactive' && job.releaseEveryHours !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['releaseEveryHours'],
        message: 'releaseEveryHours is for batch jobs; interactive demand is given per hour',
      });
    if (job.kind === 'batch' && job.totalTokens === undefined)
      ctx.addIssue({ code: 'custom', path: ['totalTokens'], message: 'a batch job needs totalTokens' });
    if (
      job.windowStartHour !== undefined &&
      job.deadlineHour !== undefined &&
      job.deadlineHour <= job.windowStartHour
    )
      ctx.addIssue({
        code: 'custom',
        path: ['deadlineHour'],
        message: 'deadlineHour must be after windowStartHour',
      });
  });

export const JobFileSchema = z.strictObject({
  /**
   * Cost of one unserved GPU-hour per tier, in the fleet's currency (backtest and demo); tiers left out keep
   * DEFAULT_TIER_PENALTIES_PER_GPU_HOUR.
   */
  tierPenaltiesPerGpuHour: z.record(z.string().min(1), z.number().min(0)).optional(),
  jobs: z.array(JobSpecSchema).min(1),
});

export type ClusterSpec = z.infer<typeof ClusterSpecSchema>;
export type FleetFile = z.infer<typeof FleetFileSchema>;
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type JobFile = z.infer<typeof JobFileSchema>;

/** A fleet or job file that does not match its format; the message names the file, field path and rule. */
export class SpecFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`${file}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'SpecFileError';
  }
}

function parseText(file: string, text: string): unknown {
  try {
    return /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    throw new SpecFileError(file, [
      {
        path: '',
        message: `not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${error instanceof Error ? error.message : String(error)}`,
      },
    ]);
  }
}

function validate<T>(file: string, schema: z.ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new SpecFileError(
      file,
      parsed.error.issues.map((i) => ({
        path: i.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, ''),
        message: i.message,
      })),
    );
  }
  return parsed.data;
}

/** Parses and validates a fleet file's text (JSON or YAML by extension); cluster ids must be unique. */
export function parseFleetFile(file: string, text: string): FleetFile {
  const fleet = validate(file, FleetFileSchema, parseText(file, text));
  const seen = new Set<string>();
  fleet.clusters.forEach((c, i) => {
    if (seen.has(c.id))
      throw new SpecFileError(file, [{ path: `clusters[${i}].id`, message: `duplicate cluster id ${c.id}` }]);
    seen.add(c.id);
  });
  return fleet;
}

/** Parses and validates a job file's text; job ids must be unique and home clusters must exist in `fleet`. */
export function parseJobFile(file: string, text: string, fleet?: FleetFile): JobFile {
  const jobs = validate(file, JobFileSchema, parseText(file, text));
  const seen = new Set<string>();
  const clusterIds = new Set(fleet?.clusters.map((c) => c.id));
  jobs.jobs.forEach((j, i) => {
    if (seen.has(j.id))
      throw new SpecFileError(file, [{ path: `jobs[${i}].id`, message: `duplicate job id ${j.id}` }]);
    seen.add(j.id);
    if (fleet && j.homeClusterId && !clusterIds.has(j.homeClusterId))
      throw new SpecFileError(file, [
        { path: `jobs[${i}].homeClusterId`, message: `unknown cluster ${j.homeClusterId}` },
      ]);
  });
  return jobs;
}

const hourFormatters = new Map<string, Intl.DateTimeFormat>();
const localHours = new Map<string, Map<number, number>>();
/** Memo entries per time zone before the memo starts over (a year of hours is 8,760). */
const MAX_MEMO = 100_000;

/** Local time of day in hours (e.g. 16.5) at `utcMs` in `timeZone`, memoised (Intl formatting is slow). */
function localHourOfDay(timeZone: string, utcMs: number): number {
  let memo = localHours.get(timeZone);
  if (!memo) localHours.set(timeZone, (memo = new Map<number, number>()));
  const seen = memo.get(utcMs);
  if (seen !== undefined) return seen;
  let f = hourFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    hourFormatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(utcMs));
  const hour =
    Number(parts.find((p) => p.type === 'hour')?.value ?? 0) +
    Number(parts.find((p) => p.type === 'minute')?.value ?? 0) / 60;
  if (memo.size >= MAX_MEMO) memo.clear();
  memo.set(utcMs, hour);
  return hour;
}

/**
 * Share of a cluster's GPUs busy with other work at a UTC instant: a daily cosine between trough (04:00
 * local) and peak (16:00 local).
 */
export function busyShareAt(
  cluster: Pick<ClusterSpec, 'peakBusyShare' | 'troughBusyShare' | 'timeZone'>,
  utcMs: number,
): number {
  const hour = localHourOfDay(cluster.timeZone, utcMs);
  const phase = Math.cos(((hour - 16) / 24) * 2 * Math.PI); // 1 at 16:00, −1 at 04:00
  return cluster.troughBusyShare + ((cluster.peakBusyShare - cluster.troughBusyShare) * (phase + 1)) / 2;
}
