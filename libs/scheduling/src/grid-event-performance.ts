import type { DataSource } from 'typeorm';
import { solveBaseline, type PlacementProblem } from '#gridshift/placement';
import {
  GridEventRepository,
  UsageRepository,
  type ClusterMeterRow,
  type GridEventRow,
} from '#gridshift/persistence';

// Proof of delivery of a grid event, per interval: the facility power of gridshift work in the targeted clusters
//  - counterfactual: the plan in force when the event arrived (before it), as planned;
//  - home: the home baseline (each job in its home cluster, price- and event-blind) on that plan's problem;
//  - planned: the newest plan that honoured the event;
//  - realized: the facility energy the data centers metered (gridshift.usage.v1 `energyKwh`, IT × PUE) in the
//    targeted clusters, over the part of the interval that is reported (see realizedInterval).
// Power of a slot = Σ GPUs × kW per GPU × PUE over the targeted clusters; an interval's kW is the mean over the
// slots it overlaps (weighted by the overlap), its kWh that mean × its hours.

const MS_PER_MINUTE = 60_000;

/** GPUs (or GPU-hours ÷ slot hours) per `${clusterId}|${slotStartMs}`. */
export type CellGpus = ReadonlyMap<string, number>;

export interface IntervalPerformance {
  startUtc: string;
  endUtc: string;
  /** Sum of the caps the honouring plan applied in the interval's slots (mean kW), null when none. */
  capKw: number | null;
  counterfactualKw: number | null;
  homeKw: number | null;
  plannedKw: number | null;
  /** Metered mean facility kW over the reported part of the interval; null while none of it is reported. */
  realizedKw: number | null;
  /** Share of the interval that is reported, % (see realizedInterval). */
  realizedCoveragePct: number;
  /** (counterfactual − planned) ÷ counterfactual × 100; null without both or with a 0 counterfactual. */
  reductionVsCounterfactualPct: number | null;
  reductionVsHomePct: number | null;
  /** (counterfactual − realized) ÷ counterfactual × 100, once the whole interval is reported; else null. */
  realizedReductionVsCounterfactualPct: number | null;
}

export interface GridEventPerformance {
  eventId: string;
  programId: string;
  modificationNumber: number;
  compliance: 'mandatory' | 'voluntary';
  cancelled: boolean;
  zones: string[];
  clusterIds: string[];
  baselineScheduleId: string | null;
  plannedSchedule: { scheduleId: string; version: number; status: string; honoured: boolean } | null;
  intervals: IntervalPerformance[];
  totals: {
    counterfactualKwh: number | null;
    homeKwh: number | null;
    plannedKwh: number | null;
    reductionVsCounterfactualPct: number | null;
    /** Metered kWh of all intervals, once every interval is completely reported; else null. */
    realizedKwh: number | null;
    realizedReductionVsCounterfactualPct: number | null;
  };
  /** Interactive GPU-hours the planned schedule leaves unserved for reason `grid-event`. */
  interactiveShortfallGpuHours: number;
  realized: { status: 'not-reported' | 'partial' | 'complete'; note: string };
  summary: string;
}

function cellKey(clusterId: string, slotMs: number): string {
  return `${clusterId}|${slotMs}`;
}

/** Mean facility kW over [fromMs, toMs) of `gpus` in `clusters` on a grid of `slotMinutes` (pure). */
export function intervalKw(
  gpus: CellGpus,
  clusters: readonly ClusterMeterRow[],
  fromMs: number,
  toMs: number,
  slotMinutes: number,
): number {
  const slotMs = slotMinutes * MS_PER_MINUTE;
  let weighted = 0;
  for (let s = Math.floor(fromMs / slotMs) * slotMs; s < toMs; s += slotMs) {
    const overlap = Math.min(toMs, s + slotMs) - Math.max(fromMs, s);
    let kw = 0;
    for (const c of clusters) kw += (gpus.get(cellKey(c.clusterId, s)) ?? 0) * c.kwPerGpu * c.pue;
    weighted += kw * overlap;
  }
  return weighted / (toMs - fromMs);
}

/** Metered facility energy of one cluster in one usage interval (summed over jobs). */
export interface MeteredCell {
  clusterId: string;
  slotStartMs: number;
  minutes: number;
  energyKwh: number;
}

/** Usage intervals are 5, 15, 30 or 60 minutes on the UTC grid; event intervals are multiples of 5 minutes. */
const TICK_MS = 5 * MS_PER_MINUTE;

/**
 * Realized load over [fromMs, toMs) from metered cells (pure). The interval is cut into 5-minute ticks; a tick is
 * reported when it ended before `nowMs` and every cluster `expected(tickStartMs)` names (those the plan gave work
 * there) has a metered cell covering it — a cluster with nothing planned need not report. A cell's energy is
 * spread evenly over its own interval. kW = metered kWh of the reported ticks ÷ their hours; coverage = reported
 * ticks ÷ all ticks.
 */
export function realizedInterval(
  cells: readonly MeteredCell[],
  expected: (tickStartMs: number) => readonly string[],
  fromMs: number,
  toMs: number,
  nowMs: number,
): { kw: number | null; kwh: number; coveragePct: number } {
  const kwhByClusterTick = new Map<string, Map<number, number>>();
  for (const c of cells) {
    const cellMs = c.minutes * MS_PER_MINUTE;
    const perTick = (c.energyKwh * TICK_MS) / cellMs;
    let ticks = kwhByClusterTick.get(c.clusterId);
    if (!ticks) kwhByClusterTick.set(c.clusterId, (ticks = new Map<number, number>()));
    for (let t = c.slotStartMs; t < c.slotStartMs + cellMs; t += TICK_MS)
      ticks.set(t, (ticks.get(t) ?? 0) + perTick);
  }
  let kwh = 0;
  let reported = 0;
  let total = 0;
  for (let t = Math.floor(fromMs / TICK_MS) * TICK_MS; t < toMs; t += TICK_MS) {
    total += 1;
    if (t + TICK_MS > nowMs) continue;
    if (!expected(t).every((id) => kwhByClusterTick.get(id)?.has(t) === true)) continue;
    reported += 1;
    for (const ticks of kwhByClusterTick.values()) kwh += ticks.get(t) ?? 0;
  }
  const hours = (reported * TICK_MS) / 3_600_000;
  return {
    kw: reported > 0 ? kwh / hours : null,
    kwh,
    coveragePct: total > 0 ? (reported / total) * 100 : 0,
  };
}

function reductionPct(before: number | null, after: number | null): number | null {
  if (before === null || after === null || !(before > 0)) return null;
  return ((before - after) / before) * 100;
}

function hhmm(iso: string): string {
  return iso.slice(11, 16);
}

/** One line for people: "event X: −31 % in DE-LU 17:00–20:00, no interactive work lost". */
export function performanceSummary(p: Omit<GridEventPerformance, 'summary'>): string {
  const first = p.intervals[0];
  const last = p.intervals.at(-1);
  const when = first && last ? `${hhmm(first.startUtc)}–${hhmm(last.endUtc)} UTC` : '';
  const metered = p.totals.realizedReductionVsCounterfactualPct;
  const pct = metered ?? p.totals.reductionVsCounterfactualPct;
  const change =
    pct === null
      ? 'no plan before the event to compare with'
      : `${pct >= 0 ? '−' : '+'}${Math.abs(Math.round(pct))} %${metered !== null ? ' metered' : ''}`;
  const lost =
    p.interactiveShortfallGpuHours > 0
      ? `${Math.round(p.interactiveShortfallGpuHours * 10) / 10} interactive GPU-h shed`
      : 'no interactive work lost';
  const honoured =
    p.plannedSchedule === null ? ' (not planned yet)' : p.plannedSchedule.honoured ? '' : ' (declined)';
  return `event ${p.eventId}: ${change} in ${p.zones.join(', ')} ${when}, ${lost}${honoured}`;
}

/** GPUs per cell of a baseline run of `problem`'s home baseline (GPU-hours ÷ slot hours). */
function homeGpus(problem: PlacementProblem): Map<string, number> {
  const slotHours = problem.slotMinutes / 60;
  const out = new Map<string, number>();
  for (const p of solveBaseline(problem, 'home').placements) {
    const key = cellKey(p.clusterId, Date.parse(problem.slotStartsUtc[p.slotIndex]!));
    out.set(key, (out.get(key) ?? 0) + p.gpuHours / slotHours);
  }
  return out;
}

async function scheduleGpus(
  repo: GridEventRepository,
  scheduleId: string,
  clusterIds: string[],
  fromMs: number,
  toMs: number,
): Promise<Map<string, number>> {
  const cells = await repo.clusterSlotLoad(scheduleId, clusterIds, new Date(fromMs), new Date(toMs));
  return new Map(cells.map((c) => [cellKey(c.clusterId, Date.parse(c.slotStartUtc)), c.gpus]));
}

/** Clusters an event targets among `meters`. */
function targeted(event: GridEventRow, meters: ClusterMeterRow[]): ClusterMeterRow[] {
  const named = event.clusterIds === null ? null : new Set(event.clusterIds);
  return meters.filter((m) => named === null || named.has(m.clusterId));
}

/** The delivery report of one event, or null when the event is unknown (`nowMs`: the clock, for what is reported). */
export async function gridEventPerformance(
  db: DataSource,
  eventId: string,
  options: { nowMs?: number } = {},
): Promise<GridEventPerformance | null> {
  const nowMs = options.nowMs ?? Date.now();
  const repo = new GridEventRepository(db);
  const event = await repo.byId(eventId);
  if (event === null) return null;
  const clusters = targeted(event, await repo.clusterMeters(event.zones));
  const clusterIds = clusters.map((c) => c.clusterId);
  const fromMs = Date.parse(event.startsAtUtc);
  const toMs = Date.parse(event.endsAtUtc);
  const honouring = (await repo.schedulesHonouring(eventId, 1))[0] ?? null;
  const reference = honouring?.scheduleId ?? event.baselineScheduleId;
  const slotMinutes = (reference === null ? null : await repo.scheduleHorizon(reference))?.slotMinutes ?? 60;
  const slotMs = slotMinutes * MS_PER_MINUTE;
  const gridFromMs = Math.floor(fromMs / slotMs) * slotMs;

  const counterfactual =
    event.baselineScheduleId === null
      ? null
      : await scheduleGpus(repo, event.baselineScheduleId, clusterIds, gridFromMs, toMs);
  let home: Map<string, number> | null = null;
  if (event.baselineScheduleId !== null) {
    const problem = (await repo.scheduleProblem(event.baselineScheduleId)) as PlacementProblem | null;
    if (problem !== null) home = homeGpus(problem);
  }
  const planned =
    honouring === null ? null : await scheduleGpus(repo, honouring.scheduleId, clusterIds, gridFromMs, toMs);
  const caps = (honouring?.details.caps ?? []) as {
    clusterId: string;
    slotStartUtc: string;
    capKw: number;
  }[];
  const capByCell = new Map(caps.map((c) => [cellKey(c.clusterId, Date.parse(c.slotStartUtc)), c.capKw]));
  const metered = await new UsageRepository(db).clusterEnergy(clusterIds, new Date(fromMs), new Date(toMs));
  // Who must have reported a tick: the targeted clusters the plan in force gave work in its slot.
  const expectedFrom = planned ?? counterfactual;
  const expected = (tickMs: number): string[] => {
    if (expectedFrom === null) return [];
    const slot = Math.floor(tickMs / slotMs) * slotMs;
    return clusterIds.filter((id) => (expectedFrom.get(cellKey(id, slot)) ?? 0) > 0);
  };

  const kwOf = (gpus: Map<string, number> | null, from: number, to: number) =>
    gpus === null ? null : intervalKw(gpus, clusters, from, to, slotMinutes);
  const intervals: IntervalPerformance[] = event.intervals.map((interval) => {
    const from = Date.parse(interval.startUtc);
    const to = Date.parse(interval.endUtc);
    const c = kwOf(counterfactual, from, to);
    const h = kwOf(home, from, to);
    const p = kwOf(planned, from, to);
    const r = realizedInterval(metered, expected, from, to, nowMs);
    const complete = r.coveragePct >= 100;
    // Caps are kW limits per cell: as a "GPU" map with 1 kW per unit they average like loads.
    let capKw: number | null = null;
    if (capByCell.size > 0) {
      let weighted = 0;
      let covered = 0;
      for (let s = Math.floor(from / slotMs) * slotMs; s < to; s += slotMs) {
        const overlap = Math.min(to, s + slotMs) - Math.max(from, s);
        let sum = 0;
        let any = false;
        for (const id of clusterIds) {
          const cap = capByCell.get(cellKey(id, s));
          if (cap !== undefined) {
            sum += cap;
            any = true;
          }
        }
        if (any) {
          weighted += sum * overlap;
          covered += overlap;
        }
      }
      capKw = covered > 0 ? weighted / covered : null;
    }
    return {
      startUtc: interval.startUtc,
      endUtc: interval.endUtc,
      capKw,
      counterfactualKw: c,
      homeKw: h,
      plannedKw: p,
      realizedKw: r.kw,
      realizedCoveragePct: r.coveragePct,
      reductionVsCounterfactualPct: reductionPct(c, p),
      reductionVsHomePct: reductionPct(h, p),
      realizedReductionVsCounterfactualPct: complete ? reductionPct(c, r.kw) : null,
    };
  });
  const kwh = (pick: (i: IntervalPerformance) => number | null): number | null => {
    let sum = 0;
    for (const i of intervals) {
      const kw = pick(i);
      if (kw === null) return null;
      sum += (kw * (Date.parse(i.endUtc) - Date.parse(i.startUtc))) / 3_600_000;
    }
    return sum;
  };
  const shortfalls = honouring === null ? [] : await repo.scheduleShortfalls(honouring.scheduleId);
  const interactiveShortfallGpuHours = shortfalls
    .filter((s) => s.kind === 'interactive')
    .flatMap((s) => s.reasons)
    .filter((r) => r.reason === 'grid-event')
    .reduce((a, r) => a + r.gpuHours, 0);
  const counterfactualKwh = kwh((i) => i.counterfactualKw);
  const plannedKwh = kwh((i) => i.plannedKw);
  const allReported = intervals.every((i) => i.realizedCoveragePct >= 100);
  const realizedKwh = allReported ? kwh((i) => i.realizedKw) : null;
  const anyReported = intervals.some((i) => i.realizedCoveragePct > 0);
  const report: Omit<GridEventPerformance, 'summary'> = {
    eventId: event.eventId,
    programId: event.programId,
    modificationNumber: event.modificationNumber,
    compliance: event.compliance,
    cancelled: event.cancelled,
    zones: event.zones,
    clusterIds,
    baselineScheduleId: event.baselineScheduleId,
    plannedSchedule:
      honouring === null
        ? null
        : {
            scheduleId: honouring.scheduleId,
            version: honouring.version,
            status: honouring.status,
            honoured: honouring.details.honoured === true,
          },
    intervals,
    totals: {
      counterfactualKwh,
      homeKwh: kwh((i) => i.homeKw),
      plannedKwh,
      reductionVsCounterfactualPct: reductionPct(counterfactualKwh, plannedKwh),
      realizedKwh,
      realizedReductionVsCounterfactualPct: reductionPct(counterfactualKwh, realizedKwh),
    },
    interactiveShortfallGpuHours,
    realized: allReported
      ? { status: 'complete', note: 'metered facility energy (gridshift.usage.v1) covers every interval' }
      : {
          status: anyReported ? 'partial' : 'not-reported',
          note: 'realized load counts the 5-minute ticks that ended and that every targeted cluster with planned work reported on gridshift.usage.v1; reductions need a completely reported interval',
        },
  };
  return { ...report, summary: performanceSummary(report) };
}
