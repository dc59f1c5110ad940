/**
 * Old vs new placement library in one process (not a test): `npm run compare:placement [-- --reference main]
 * [--problems 60] [--bench 1kx10x24,5kx20x24,20kx20x24] [--rounds 5]`.
 *
 * The reference is `libs/placement/src` as committed at `--reference` (any git ref), extracted with `git archive`
 * into a temporary directory and imported beside this tree's library. Two parts:
 * - Identity: `--problems` generated problems (whole GPUs, fractional, stability re-plans, tie-break, pins,
 *   carbon priced, 30-minute slots, varied load and interactive share) solved by both; the whole result JSON
 *   (solver timings removed) must be identical, else the script exits 1 naming the first difference.
 * - Bench: per `--bench` size, the CPU time of `solvePlacement(problem, { explain: false })` (user + system,
 *   incl. GC), reference and this tree alternating `--rounds` times after a warm-up of each; prints the medians
 *   and the median of the per-round ratios new / reference (absolute times depend on the machine's load).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '#gridshift/placement';
import type { PlacementProblem, PlacementResult, SolveOptions } from '#gridshift/placement';

type Library = Pick<typeof current, 'solvePlacement'>;

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  return value ?? fallback;
}

function positiveInt(name: string, fallback: number): number {
  const value = Number(arg(name, String(fallback)));
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
}

function parseSize(text: string): { jobs: number; clusters: number; slots: number } {
  const m = /^(\d+)(k?)x(\d+)x(\d+)$/.exec(text);
  if (!m) throw new Error(`size "${text}" is not JOBSxCLUSTERSxSLOTS (e.g. 5kx20x24)`);
  return { jobs: Number(m[1]) * (m[2] ? 1000 : 1), clusters: Number(m[3]), slots: Number(m[4]) };
}

async function loadReference(ref: string): Promise<{ lib: Library; dir: string }> {
  if (!/^[\w./-]+$/.test(ref)) throw new Error(`--reference "${ref}" is not a plain git ref`);
  const dir = mkdtempSync(join(tmpdir(), 'placement-ref-'));
  const archive = execFileSync('git', ['archive', ref, 'libs/placement/src'], { maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  // The library's own dependencies resolve from this tree's node_modules.
  symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
  const lib = (await import(pathToFileURL(join(dir, 'libs/placement/src/index.ts')).href)) as Library;
  return { lib, dir };
}

interface Case {
  name: string;
  problem: PlacementProblem;
  opts: SolveOptions;
}

/** Generated problems covering the rounding's modes; stability cases re-plan against `lib`'s own schedule. */
function cases(count: number, reference: Library): Case[] {
  const out: Case[] = [];
  for (let k = 0; out.length < count; k++) {
    const seed = 1000 + k;
    const jobs = [12, 40, 150, 400, 1200][k % 5]!;
    const problem = current.generateProblem({
      jobs,
      clusters: 3 + (k % 6),
      slots: k % 4 === 0 ? 48 : 24,
      seed,
      slotMinutes: k % 4 === 0 ? 30 : 60,
      interactiveShare: [0.3, 0.6, 0.1, 0.9][k % 4]!,
      load: [0.7, 1.1, 0.4, 1.6, 0.9][k % 5]!,
      carbonPricePerTonne: k % 3 === 0 ? 80 : 0,
      pinShare: k % 7 === 0 ? 0.2 : 0.02,
    });
    const mode = k % 5;
    if (mode === 0) out.push({ name: `whole#${seed}`, problem, opts: {} });
    if (mode === 1) out.push({ name: `whole-quiet#${seed}`, problem, opts: { explain: false } });
    if (mode === 2) out.push({ name: `fractional#${seed}`, problem, opts: { wholeGpus: false } });
    if (mode === 3) out.push({ name: `tie-break#${seed}`, problem, opts: { tieBreak: true } });
    if (mode === 4) {
      const previous = reference.solvePlacement(problem, { explain: false, baselines: false }).placements;
      const random = current.seededRandom(seed + 1);
      const replan = structuredClone(problem);
      for (const cluster of replan.clusters) {
        cluster.pricePerMwh = cluster.pricePerMwh.map((p) => p * (1 + 0.1 * (2 * random() - 1)));
      }
      replan.stability = { costPerGpuHourMoved: 0.05, previous: previous.filter((p) => p.gpus > 0) };
      out.push({ name: `stability#${seed}`, problem: replan, opts: { explain: k % 10 === 4 } });
    }
  }
  return out;
}

/** The result as JSON without the solver's timings (the only part allowed to differ). */
function comparable(result: PlacementResult): string {
  const copy = structuredClone(result);
  const stats = copy.solver.stats;
  stats.buildMs = stats.solveMs = stats.roundMs = stats.totalMs = 0;
  return JSON.stringify(copy);
}

function firstDifference(a: string, b: string): string {
  let k = 0;
  while (k < a.length && a[k] === b[k]) k++;
  return `at char ${k}: reference …${a.slice(Math.max(0, k - 80), k + 80)}… this tree …${b.slice(Math.max(0, k - 80), k + 80)}…`;
}

interface Timing {
  /** CPU time of the process during the solve (user + system, incl. GC), ms. */
  cpuMs: number;
  /** The solve's own wall times: rounding (incl. the whole-GPU re-solve) and total. */
  roundMs: number;
  totalMs: number;
}

function timed(lib: Library, problem: PlacementProblem): Timing {
  const before = process.cpuUsage();
  const { stats } = lib.solvePlacement(problem, { explain: false }).solver;
  const used = process.cpuUsage(before);
  return { cpuMs: (used.user + used.system) / 1000, roundMs: stats.roundMs, totalMs: stats.totalMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const ref = arg('reference', 'main');
  const problems = positiveInt('problems', 60);
  const rounds = positiveInt('rounds', 5);
  const sizes = arg('bench', '1kx10x24,5kx20x24,20kx20x24');
  const { lib: reference, dir } = await loadReference(ref);
  try {
    let identical = 0;
    for (const c of cases(problems, reference)) {
      const old = comparable(reference.solvePlacement(c.problem, c.opts));
      const now = comparable(current.solvePlacement(c.problem, c.opts));
      if (old !== now) {
        console.error(`${c.name}: results differ ${firstDifference(old, now)}`);
        process.exitCode = 1;
        return;
      }
      identical++;
    }
    console.log(`identical results on ${identical} generated problems (reference ${ref})`);
    if (sizes === 'none') return;
    for (const text of sizes.split(',')) {
      const size = parseSize(text);
      const problem = current.generateProblem({ ...size, seed: 42 });
      const libs = { reference, current };
      timed(reference, problem);
      timed(current, problem);
      const runs: Record<'reference' | 'current', Timing[]> = { reference: [], current: [] };
      const ratios: number[] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternate which goes first so a load change hits both alike.
        const order = r % 2 === 0 ? (['reference', 'current'] as const) : (['current', 'reference'] as const);
        for (const which of order) runs[which].push(timed(libs[which], problem));
        ratios.push(runs.current[r]!.cpuMs / runs.reference[r]!.cpuMs);
      }
      const load = loadavg()
        .map((l) => l.toFixed(1))
        .join(' ');
      const summary = (list: Timing[]): string =>
        `${median(list.map((t) => t.cpuMs)).toFixed(0)} ms CPU (rounding ${median(list.map((t) => t.roundMs)).toFixed(0)} ms, ` +
        `${(100 * median(list.map((t) => t.roundMs / t.totalMs))).toFixed(0)} % of the solve)`;
      console.log(
        `${text}: reference ${summary(runs.reference)}, this tree ${summary(runs.current)}; CPU ratio median ` +
          `${median(ratios).toFixed(2)} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, ` +
          `${rounds} rounds, load ${load})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
