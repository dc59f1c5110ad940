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
 * Up to 1,000 jobs HiGHS also solves the unaggregated job-level LP built from the raw input; above
 * `--reference-max-jobs` (default 20,000) the HiGHS reference is skipped (row without a reference).
 *
 * Two more kinds of rows (issue 17), each beside HiGHS in the same child process:
 * - `--mip-sizes` (default 1kx10x24,5kx20x24): the whole-GPU schedule against HiGHS's MIP on the
 *   job-level model with integer GPUs (`toJobLevelLp(problem, { wholeGpus: true })`), time limit
 *   `--mip-time-limit` seconds (default 60): its best solution and its proven bound.
 * - `--replan-sizes` (default 20kx20x24): a stability re-plan — the previous schedule is the solution
 *   of the same fleet, prices then move by up to ±10 % (seeded), σ = `REPLAN_SIGMA` — against HiGHS on
 *   the job-level LP with the stability term.
 * Pass `none` to skip a kind. Prints a table per kind; `--json FILE` writes all rows (`kind` field).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Highs } from 'highs';
import {
  generateProblem,
  seededRandom,
  solvePlacement,
  toAggregatedLp,
  toJobLevelLp,
  toLpFormat,
  type HighsLike,
  type LpModel,
  type PlacementProblem,
} from '#gridshift/placement';

interface Size {
  jobs: number;
  clusters: number;
  slots: number;
}

interface Row extends Size {
  kind: 'lp' | 'replan';
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
  /** Process CPU time (user + system) of that HiGHS run, ms. */
  referenceCpuMs: number | null;
  /**
   * cpuMs / referenceCpuMs: issue 17's ratio in CPU time, which a loaded machine distorts far less than wall
   * time (a run descheduled for seconds adds to its wall time only).
   */
  cpuVsReference: number | null;
  /** HiGHS solve time / our solve time (> 1: we are faster). */
  speedupVsReference: number | null;
  /** Our whole solvePlacement time / HiGHS's time on the same model (issue 17's ratio; < 1: we are faster). */
  totalVsReference: number | null;
  jobLevelReferenceObjective: number | null;
  jobLevelRelGap: number | null;
  roundedObjective: number;
  roundingCostPct: number;
  savingsVsHomePct: number | null;
  savingsVsGreedyPct: number | null;
  referenceNote?: string;
}

/** Whole-GPU schedule against HiGHS's MIP on the same job-level model. */
interface MipRow extends Size {
  kind: 'mip';
  /** Timed solves after a warm solve of the same problem; totalMs, roundMs and roundSharePct are the median's. */
  repeats: number;
  totalMs: number;
  roundMs: number;
  /** Our LP bound (fractional optimum) and our whole-GPU schedule's cost. */
  lpBound: number;
  roundedObjective: number;
  mipStatus: string;
  mipMs: number;
  mipTimeLimitS: number;
  /** HiGHS's best whole-GPU solution (null: none within the limit) and its proven lower bound. */
  mipObjective: number | null;
  mipBound: number | null;
  /** (ours − HiGHS best) / HiGHS best, %: > 0 = HiGHS found a cheaper whole-GPU schedule. */
  vsMipBestPct: number | null;
  /** (ours − bound) / bound, %: how far ours can be from the whole-GPU optimum at most. */
  vsMipBoundPct: number | null;
  roundSharePct: number;
  mipVariables: number;
  mipConstraints: number;
  loadAvg1m: number;
  referenceNote?: string;
}

type AnyRow = Row | MipRow;

const DEFAULT_SIZES: Size[] = [
  { jobs: 1000, clusters: 10, slots: 24 },
  { jobs: 5000, clusters: 20, slots: 24 },
  { jobs: 20000, clusters: 20, slots: 24 },
  { jobs: 20000, clusters: 50, slots: 48 },
  { jobs: 100000, clusters: 100, slots: 48 },
];
const DEFAULT_MIP_SIZES: Size[] = [
  { jobs: 1000, clusters: 10, slots: 24 },
  { jobs: 5000, clusters: 20, slots: 24 },
];
const DEFAULT_REPLAN_SIZES: Size[] = [{ jobs: 20000, clusters: 20, slots: 24 }];
const SEED = 20230302;
const JOB_LEVEL_REFERENCE_MAX_JOBS = 1000;
/** σ of the re-plan rows, EUR per GPU-hour moved (≈ 10 % of a typical cell's energy cost). */
const REPLAN_SIGMA = 0.05;
/** Largest relative price move of the re-plan rows. */
const REPLAN_PRICE_MOVE = 0.1;

function parseSizes(text: string): Size[] {
  if (text.trim() === 'none') return [];
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
): { objective: number | null; ms: number; cpuMs: number; note?: string } {
  const text = toLpFormat(model);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const spent = () => {
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  };
  try {
    const solution = highs.solve(text);
    const time = spent();
    if (solution.Status !== 'Optimal') return { objective: null, ...time, note: `HiGHS: ${solution.Status}` };
    return { objective: solution.ObjectiveValue + model.objectiveOffset, ...time };
  } catch (error) {
    return { objective: null, ...spent(), note: `HiGHS failed: ${String(error)}` };
  }
}

function relGap(a: number, b: number | null): number | null {
  return b === null ? null : Math.abs(a - b) / Math.max(1, Math.abs(b));
}

/**
 * The options of every timed solve: the planner's (libs/scheduling/src/solve.ts). Explanation sentences are
 * not built by the planner's solve; the admin API computes them on request from the stored schedule, one job
 * at a time, so they are not part of the time a plan takes.
 */
const AS_THE_PLANNER = { explain: false } as const;

/** One solve as the planner runs it: the result, its solver stats and the process CPU time it took. */
function timedSolve(problem: ReturnType<typeof generateProblem>) {
  const cpu = process.cpuUsage();
  const result = solvePlacement(problem, AS_THE_PLANNER);
  const used = process.cpuUsage(cpu);
  return { result, timing: { stats: result.solver.stats, cpuMs: (used.user + used.system) / 1000 } };
}

/**
 * The re-plan of `base`: its own schedule as the previous one, prices moved by up to ±10 % per cell
 * (seeded), σ = REPLAN_SIGMA. Not timed.
 */
function replanOf(base: PlacementProblem): PlacementProblem {
  const previous = solvePlacement(base, { explain: false, baselines: false }).placements;
  const random = seededRandom(SEED + 1);
  const problem = structuredClone(base);
  for (const cluster of problem.clusters) {
    cluster.pricePerMwh = cluster.pricePerMwh.map((p) => p * (1 + REPLAN_PRICE_MOVE * (2 * random() - 1)));
  }
  problem.stability = { costPerGpuHourMoved: REPLAN_SIGMA, previous: previous.filter((p) => p.gpus > 0) };
  return problem;
}

/** Runs one size in this (child) process and prints its row as JSON. */
async function measure(
  size: Size,
  repeats: number,
  kind: 'lp' | 'replan',
  referenceMaxJobs: number,
): Promise<Row> {
  solvePlacement(generateProblem({ jobs: 300, clusters: 8, slots: 24, seed: 1 })); // JIT warm-up
  const base = generateProblem({ ...size, seed: SEED });
  const problem = kind === 'replan' ? replanOf(base) : base;
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
  // The network form has no stability term: a re-plan is checked on the job-level LP (its own builder).
  const referenceModel =
    size.jobs > referenceMaxJobs
      ? null
      : kind === 'replan'
        ? toJobLevelLp(problem)
        : toAggregatedLp(problem, 'network');
  const reference = referenceModel
    ? highsObjective(highs, referenceModel)
    : { objective: null, ms: 0, cpuMs: 0, note: `HiGHS reference skipped above ${referenceMaxJobs} jobs` };
  let jobLevel: { objective: number | null; ms: number; note?: string } = { objective: null, ms: 0 };
  if (kind === 'lp' && size.jobs <= JOB_LEVEL_REFERENCE_MAX_JOBS)
    jobLevel = highsObjective(highs, toJobLevelLp(problem));

  const row: Row = {
    kind,
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
    referenceSolver:
      kind === 'replan'
        ? 'highs 1.15.3 wasm, job-level LP with the stability term'
        : 'highs 1.15.3 wasm, simplex, class-aggregated LP in network form',
    referenceVariables: referenceModel?.varNames.length ?? 0,
    referenceConstraints: referenceModel?.rows.length ?? 0,
    referenceMs: reference.objective === null ? null : reference.ms,
    referenceCpuMs: reference.objective === null ? null : reference.cpuMs,
    cpuVsReference: reference.objective === null ? null : cpuMs / reference.cpuMs,
    speedupVsReference: reference.objective === null ? null : reference.ms / stats.solveMs,
    totalVsReference: reference.objective === null ? null : stats.totalMs / reference.ms,
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

/** Our whole-GPU schedule against HiGHS's MIP (best solution and bound within the time limit). */
async function measureMip(size: Size, timeLimitS: number, repeats: number): Promise<MipRow> {
  const problem = generateProblem({ ...size, seed: SEED });
  // Warm-up on the measured problem itself (as the planner warms up on its stored inputs before it leads):
  // one solve right after a small warm-up mostly timed code the JIT had not optimised yet (a 1k solve took
  // 332–946 ms that way against ≈ 60 ms of CPU warm), which made the rounding's share meaningless.
  const result = solvePlacement(problem, AS_THE_PLANNER);
  const timed = Array.from({ length: repeats }, () => solvePlacement(problem, AS_THE_PLANNER).solver.stats);
  timed.sort((a, b) => a.totalMs - b.totalMs);
  const stats = timed[Math.floor(timed.length / 2)] ?? result.solver.stats;
  const lpBound = result.lpBound?.totalCost ?? NaN;
  const rounded = result.totals.totalCost;
  const mip = toJobLevelLp(problem, { wholeGpus: true });
  const highs = (await loadHighs()) as unknown as Highs; // the full API: MIP bound and status
  const started = performance.now();
  let status = 'not run';
  let best: number | null = null;
  let bound: number | null = null;
  let note: string | undefined;
  try {
    using model = highs.createModel({ format: 'lp', data: toLpFormat(mip) });
    model.options.set({ time_limit: timeLimitS, output_flag: false });
    model.run();
    const code = model.raw.getModelStatus();
    status = Object.entries(highs.constants.modelStatus).find(([, c]) => c === code)?.[0] ?? String(code);
    // primal_solution_status 2 = a feasible incumbent exists; its objective is the best found.
    const primal = Number(model.info.get('primal_solution_status')) === 2 ? model.getObjectiveValue() : NaN;
    const dual = Number(model.info.get('mip_dual_bound'));
    if (Number.isFinite(primal)) best = primal + mip.objectiveOffset;
    if (Number.isFinite(dual)) bound = dual + mip.objectiveOffset;
  } catch (error) {
    note = `HiGHS MIP failed: ${String(error)}`;
  }
  const mipMs = performance.now() - started;
  const row: MipRow = {
    kind: 'mip',
    ...size,
    repeats,
    totalMs: stats.totalMs,
    roundMs: stats.roundMs,
    lpBound,
    roundedObjective: rounded,
    mipStatus: status,
    mipMs,
    mipTimeLimitS: timeLimitS,
    mipObjective: best,
    mipBound: bound,
    vsMipBestPct: best === null ? null : ((rounded - best) / Math.abs(best)) * 100,
    vsMipBoundPct: bound === null ? null : ((rounded - bound) / Math.abs(bound)) * 100,
    roundSharePct: (stats.roundMs / stats.totalMs) * 100,
    mipVariables: mip.varNames.length,
    mipConstraints: mip.rows.length,
    loadAvg1m: loadavg()[0] ?? 0,
  };
  if (note) row.referenceNote = note;
  return row;
}

function fmt(value: number | null, digits = 0): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

function renderTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, k) => Math.max(h.length, ...lines.map((l) => (l[k] ?? '').length)));
  const render = (cells: string[]) =>
    '| ' + cells.map((c, k) => c.padStart(widths[k] ?? 0)).join(' | ') + ' |';
  console.log(render(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const line of lines) console.log(render(line));
}

function printTable(rows: Row[]): void {
  const header = [
    'kind',
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
    'total/HiGHS',
    'CPU/HiGHS CPU',
    'relGap',
    'rounding %',
    'vs home %',
    'vs greedy %',
  ];
  const lines = rows.map((r) => [
    r.kind,
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
    r.totalVsReference === null ? 'n/a' : r.totalVsReference.toFixed(3),
    r.cpuVsReference === null ? 'n/a' : r.cpuVsReference.toFixed(3),
    r.relGap === null ? 'n/a' : r.relGap.toExponential(1),
    fmt(r.roundingCostPct, 2),
    fmt(r.savingsVsHomePct, 1),
    fmt(r.savingsVsGreedyPct, 1),
  ]);
  renderTable(header, lines);
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

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined) throw new Error(`${name} needs a value`);
  return value;
}

function printMipTable(rows: MipRow[]): void {
  if (rows.length === 0) return;
  console.log('\nWhole GPUs against HiGHS MIP (job-level model, integer GPUs):');
  const header = [
    'jobs×clusters×slots',
    'MIP vars',
    'our total ms',
    'round % of total',
    'ours',
    'LP bound',
    'HiGHS best',
    'HiGHS bound',
    'HiGHS status',
    'HiGHS ms',
    'ours vs best %',
    'ours vs bound %',
  ];
  const lines = rows.map((r) => [
    `${r.jobs}×${r.clusters}×${r.slots}`,
    String(r.mipVariables),
    fmt(r.totalMs),
    fmt(r.roundSharePct, 1),
    fmt(r.roundedObjective, 2),
    fmt(r.lpBound, 2),
    fmt(r.mipObjective, 2),
    fmt(r.mipBound, 2),
    r.mipStatus,
    fmt(r.mipMs),
    fmt(r.vsMipBestPct, 2),
    fmt(r.vsMipBoundPct, 2),
  ]);
  renderTable(header, lines);
  for (const r of rows)
    if (r.referenceNote) console.log(`note ${r.jobs}×${r.clusters}×${r.slots}: ${r.referenceNote}`);
}

/** One child process per row, so that peak RSS belongs to that row alone; null (reported) if it failed. */
function runChild(self: string, childArgs: string[], label: string): AnyRow | null {
  console.error(`bench ${label} …`);
  const child = spawnSync(process.execPath, [...process.execArgv, self, ...childArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    console.error(`benchmark child for ${label} failed (exit ${child.status ?? child.signal}); row left out`);
    process.exitCode = 1;
    return null;
  }
  return JSON.parse(line) as AnyRow;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const repeats = Number(option(args, '--repeat') ?? 3);
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error('--repeat needs a whole number ≥ 1');
  const referenceMaxJobs = Number(option(args, '--reference-max-jobs') ?? 20000);
  const mipTimeLimitS = Number(option(args, '--mip-time-limit') ?? 60);
  if (!(mipTimeLimitS > 0)) throw new Error('--mip-time-limit needs seconds > 0');
  const childLabel = option(args, '--child');
  if (childLabel !== undefined) {
    const size = parseSizes(childLabel)[0];
    if (!size) throw new Error('--child needs a size');
    const kind = option(args, '--kind') ?? 'lp';
    const row =
      kind === 'mip'
        ? await measureMip(size, mipTimeLimitS, repeats)
        : await measure(size, repeats, kind === 'replan' ? 'replan' : 'lp', referenceMaxJobs);
    process.stdout.write(JSON.stringify(row) + '\n');
    return;
  }
  const jsonFile = option(args, '--json');
  const sizesText = option(args, '--sizes');
  const mipText = option(args, '--mip-sizes');
  const replanText = option(args, '--replan-sizes');
  const sizes = sizesText !== undefined ? parseSizes(sizesText) : DEFAULT_SIZES;
  const mipSizes = mipText !== undefined ? parseSizes(mipText) : DEFAULT_MIP_SIZES;
  const replanSizes = replanText !== undefined ? parseSizes(replanText) : DEFAULT_REPLAN_SIZES;

  const self = fileURLToPath(import.meta.url);
  const common = ['--repeat', String(repeats), '--reference-max-jobs', String(referenceMaxJobs)];
  const rows: AnyRow[] = [];
  const label = (size: Size) => `${size.jobs}x${size.clusters}x${size.slots}`;
  // Rows are written as they complete: a failed or interrupted long run keeps what it measured.
  const keep = (row: AnyRow | null) => {
    if (row) rows.push(row);
    if (jsonFile) writeFileSync(jsonFile, JSON.stringify(rows, null, 2) + '\n');
  };
  for (const size of sizes) keep(runChild(self, ['--child', label(size), ...common], label(size)));
  for (const size of replanSizes)
    keep(runChild(self, ['--child', label(size), '--kind', 'replan', ...common], `re-plan ${label(size)}`));
  for (const size of mipSizes)
    keep(
      runChild(
        self,
        ['--child', label(size), '--kind', 'mip', '--mip-time-limit', String(mipTimeLimitS)],
        `whole-GPU MIP ${label(size)}`,
      ),
    );
  const lpRows = rows.filter((r): r is Row => r.kind !== 'mip');
  if (lpRows.length > 0) printTable(lpRows);
  printMipTable(rows.filter((r): r is MipRow => r.kind === 'mip'));
  if (jsonFile) console.error(`wrote ${rows.length} rows to ${jsonFile}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
