/**
 * Placement-engine benchmark (not a test):
 * `npm run bench:placement [-- --json FILE] [--sizes 1000x10x24,5kx20x24] [--repeat 3]`.
 *
 * For each size a fresh child process generates a seeded fleet, warms the JIT on a small instance,
 * times `solvePlacement` `--repeat` times (default 3; the median run is reported — the machine is
 * shared) with default options (exact flow path, whole-GPU rounding, baselines, explanations), reads
 * its peak RSS, then solves the same class-aggregated LP with HiGHS (wasm) as the reference in
 * the same run — in its network form (`buildNetworkLp`: class → set-hour → cell), an exact
 * reformulation with 5–10× fewer variables than one per (class, cell), which HiGHS solves ~5× faster
 * (`toAggregatedLp(problem, 'network')`).
 * Up to 1,000 jobs HiGHS also solves the unaggregated job-level LP built from the raw input.
 * Prints a table; `--json FILE` writes the rows.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  generateProblem,
  solvePlacement,
  toAggregatedLp,
  toJobLevelLp,
  toLpFormat,
  type HighsLike,
  type LpModel,
} from '#gridshift/placement';

interface Size {
  jobs: number;
  clusters: number;
  slots: number;
}

interface Row extends Size {
  variables: number;
  constraints: number;
  classes: number;
  solver: string;
  buildMs: number;
  solveMs: number;
  roundMs: number;
  totalMs: number;
  /** CPU time of the process during the solve (user + system, all threads incl. GC), ms. */
  cpuMs: number;
  /** Timed solves; the row reports the one with the median totalMs. */
  repeats: number;
  /** 1-minute load average of the (shared) machine when the size finished. */
  loadAvg1m: number;
  peakRssMb: number;
  objective: number;
  referenceObjective: number | null;
  relGap: number | null;
  referenceSolver: string;
  referenceVariables: number;
  referenceConstraints: number;
  /** HiGHS wall time for parsing + solving the LP text. */
  referenceMs: number | null;
  /** HiGHS solve time / our solve time (> 1: we are faster). */
  speedupVsReference: number | null;
  jobLevelReferenceObjective: number | null;
  jobLevelRelGap: number | null;
  roundedObjective: number;
  roundingCostPct: number;
  savingsVsHomePct: number | null;
  savingsVsGreedyPct: number | null;
  referenceNote?: string;
}

const DEFAULT_SIZES: Size[] = [
  { jobs: 1000, clusters: 10, slots: 24 },
  { jobs: 5000, clusters: 20, slots: 24 },
  { jobs: 20000, clusters: 20, slots: 24 },
  { jobs: 20000, clusters: 50, slots: 48 },
];
const SEED = 20230302;
const JOB_LEVEL_REFERENCE_MAX_JOBS = 1000;

function parseSizes(text: string): Size[] {
  return text.split(',').map((part) => {
    const match = /^(\d+)(k?)x(\d+)x(\d+)$/i.exec(part.trim());
    if (!match)
      throw new Error(`--sizes: "${part}" is not JOBSxCLUSTERSxSLOTS (e.g. 1000x10x24 or 5kx20x24)`);
    return {
      jobs: Number(match[1]) * (match[2] ? 1000 : 1),
      clusters: Number(match[3]),
      slots: Number(match[4]),
    };
  });
}

async function loadHighs(): Promise<HighsLike> {
  const module = await import('highs');
  // `highs` ships ESM at runtime with CJS-flavoured typings; accept both shapes.
  const loader: unknown = module.default;
  const load = (
    typeof loader === 'function' ? loader : (loader as { default: unknown }).default
  ) as () => Promise<HighsLike>;
  return load();
}

function highsObjective(
  highs: HighsLike,
  model: LpModel,
): { objective: number | null; ms: number; note?: string } {
  const text = toLpFormat(model);
  const started = performance.now();
  try {
    const solution = highs.solve(text);
    const ms = performance.now() - started;
    if (solution.Status !== 'Optimal') return { objective: null, ms, note: `HiGHS: ${solution.Status}` };
    return { objective: solution.ObjectiveValue + model.objectiveOffset, ms };
  } catch (error) {
    return { objective: null, ms: performance.now() - started, note: `HiGHS failed: ${String(error)}` };
  }
}

function relGap(a: number, b: number | null): number | null {
  return b === null ? null : Math.abs(a - b) / Math.max(1, Math.abs(b));
}

/** One solve: the result, its solver stats and the process CPU time it took. */
function timedSolve(problem: ReturnType<typeof generateProblem>) {
  const cpu = process.cpuUsage();
  const result = solvePlacement(problem);
  const used = process.cpuUsage(cpu);
  return { result, timing: { stats: result.solver.stats, cpuMs: (used.user + used.system) / 1000 } };
}

/** Runs one size in this (child) process and prints its row as JSON. */
async function measure(size: Size, repeats: number): Promise<Row> {
  solvePlacement(generateProblem({ jobs: 300, clusters: 8, slots: 24, seed: 1 })); // JIT warm-up
  const problem = generateProblem({ ...size, seed: SEED });
  // Peak RSS is read after the first solve, so it belongs to one solve (later runs only time it).
  const first = timedSolve(problem);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const timings = [first.timing];
  for (let k = 1; k < repeats; k++) timings.push(timedSolve(problem).timing);
  timings.sort((a, b) => a.stats.totalMs - b.stats.totalMs);
  const median = timings[Math.floor(timings.length / 2)] ?? first.timing;
  const result = first.result;
  const cpuMs = median.cpuMs;
  const stats = median.stats;
  const objective = result.lpBound?.totalCost ?? NaN;

  const highs = await loadHighs();
  const aggregated = toAggregatedLp(problem, 'network');
  const reference = highsObjective(highs, aggregated);
  let jobLevel: { objective: number | null; ms: number; note?: string } = { objective: null, ms: 0 };
  if (size.jobs <= JOB_LEVEL_REFERENCE_MAX_JOBS) jobLevel = highsObjective(highs, toJobLevelLp(problem));

  const row: Row = {
    ...size,
    variables: stats.variables,
    constraints: stats.constraints,
    classes: stats.classes,
    solver: result.solver.name,
    buildMs: stats.buildMs,
    solveMs: stats.solveMs,
    roundMs: stats.roundMs,
    totalMs: stats.totalMs,
    cpuMs,
    repeats,
    loadAvg1m: loadavg()[0] ?? 0,
    peakRssMb,
    objective,
    referenceObjective: reference.objective,
    relGap: relGap(objective, reference.objective),
    referenceSolver: 'highs 1.15.3 wasm, simplex, class-aggregated LP in network form',
    referenceVariables: aggregated.varNames.length,
    referenceConstraints: aggregated.rows.length,
    referenceMs: reference.objective === null ? null : reference.ms,
    speedupVsReference: reference.objective === null ? null : reference.ms / stats.solveMs,
    jobLevelReferenceObjective: jobLevel.objective,
    jobLevelRelGap: relGap(objective, jobLevel.objective),
    roundedObjective: result.totals.totalCost,
    roundingCostPct: ((result.totals.totalCost - objective) / Math.abs(objective)) * 100,
    savingsVsHomePct: result.savings?.vsHome.pct ?? null,
    savingsVsGreedyPct: result.savings?.vsGreedy.pct ?? null,
  };
  const note = [reference.note, jobLevel.note].filter(Boolean).join('; ');
  if (note) row.referenceNote = note;
  return row;
}

function fmt(value: number | null, digits = 0): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

function printTable(rows: Row[]): void {
  const header = [
    'jobs×clusters×slots',
    'classes',
    'LP vars',
    'LP rows',
    'build ms',
    'solve ms',
    'round ms',
    'total ms',
    'CPU ms',
    'peak RSS MB',
    'HiGHS ms',
    'HiGHS/solve',
    'relGap',
    'rounding %',
    'vs home %',
    'vs greedy %',
  ];
  const lines = rows.map((r) => [
    `${r.jobs}×${r.clusters}×${r.slots}`,
    String(r.classes),
    String(r.variables),
    String(r.constraints),
    fmt(r.buildMs),
    fmt(r.solveMs),
    fmt(r.roundMs),
    fmt(r.totalMs),
    fmt(r.cpuMs),
    fmt(r.peakRssMb),
    fmt(r.referenceMs),
    r.speedupVsReference === null ? 'n/a' : `${r.speedupVsReference.toFixed(1)}×`,
    r.relGap === null ? 'n/a' : r.relGap.toExponential(1),
    fmt(r.roundingCostPct, 2),
    fmt(r.savingsVsHomePct, 1),
    fmt(r.savingsVsGreedyPct, 1),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...lines.map((l) => (l[k] ?? '').length)));
  const render = (cells: string[]) =>
    '| ' + cells.map((c, k) => c.padStart(widths[k] ?? 0)).join(' | ') + ' |';
  console.log(render(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const line of lines) console.log(render(line));
  console.log(
    `median of ${rows[0]?.repeats ?? 1} solves per size; load average at the end of each size: ` +
      rows.map((r) => r.loadAvg1m.toFixed(1)).join(', '),
  );
  for (const r of rows) {
    if (r.referenceNote) console.log(`note ${r.jobs}×${r.clusters}×${r.slots}: ${r.referenceNote}`);
    if (r.jobLevelReferenceObjective !== null) {
      console.log(
        `job-level HiGHS reference ${r.jobs}×${r.clusters}×${r.slots}: ${r.jobLevelReferenceObjective} (relGap ${fmt(r.jobLevelRelGap === null ? null : r.jobLevelRelGap * 1e9, 2)}e-9)`,
      );
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const childIndex = args.indexOf('--child');
  const repeatIndex = args.indexOf('--repeat');
  const repeats = repeatIndex >= 0 ? Number(args[repeatIndex + 1]) : 3;
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error('--repeat needs a whole number ≥ 1');
  if (childIndex >= 0) {
    const size = parseSizes(args[childIndex + 1] ?? '')[0];
    if (!size) throw new Error('--child needs a size');
    process.stdout.write(JSON.stringify(await measure(size, repeats)) + '\n');
    return;
  }
  const jsonIndex = args.indexOf('--json');
  const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
  if (jsonIndex >= 0 && !jsonFile) throw new Error('--json needs a file name');
  const sizesIndex = args.indexOf('--sizes');
  const sizes = sizesIndex >= 0 ? parseSizes(args[sizesIndex + 1] ?? '') : DEFAULT_SIZES;

  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  for (const size of sizes) {
    const label = `${size.jobs}x${size.clusters}x${size.slots}`;
    console.error(`bench ${label} …`);
    // One process per size so that peak RSS belongs to that size alone.
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, self, '--child', label, '--repeat', String(repeats)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = child.stdout.trim().split('\n').pop() ?? '';
    if (child.status !== 0 || !line.startsWith('{')) {
      throw new Error(`benchmark child for ${label} failed (exit ${child.status ?? child.signal})`);
    }
    rows.push(JSON.parse(line) as Row);
  }
  printTable(rows);
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify(rows, null, 2) + '\n');
    console.error(`wrote ${rows.length} rows to ${jsonFile}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
