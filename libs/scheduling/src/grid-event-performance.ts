import type { DataSource } from 'typeorm';
import { solveBaseline, type PlacementProblem } from '#gridshift/placement';
import { GridEventRepository, type ClusterMeterRow, type GridEventRow } from '#gridshift/persistence';

// Proof of delivery of a grid event, per interval: the facility power of gridshift work in the targeted clusters
//  - counterfactual: the plan in force when the event arrived (before it), as planned;
//  - home: the home baseline (each job in its home cluster, price- and event-blind) on that plan's problem;
//  - planned: the newest plan that honoured the event;
//  - realized: metered usage — not reported yet (no usage topic in this version).
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
  /** Metered; null until usage is reported. */
  realizedKw: null;
  /** (counterfactual − planned) ÷ counterfactual × 100; null without both or with a 0 counterfactual. */
  reductionVsCounterfactualPct: number | null;
  reductionVsHomePct: number | null;
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
  };
  /** Interactive GPU-hours the planned schedule leaves unserved for reason `grid-event`. */
  interactiveShortfallGpuHours: number;
  realized: { status: 'not-reported'; note: string };
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
  const pct = p.totals.reductionVsCounterfactualPct;
  const change =
    pct === null
      ? 'no plan before the event to compare with'
      : `${pct >= 0 ? '−' : '+'}${Math.abs(Math.round(pct))} %`;
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

/** The delivery report of one event, or null when the event is unknown. */
export async function gridEventPerformance(
  db: DataSource,
  eventId: string,
): Promise<GridEventPerformance | null> {
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

  const kwOf = (gpus: Map<string, number> | null, from: number, to: number) =>
    gpus === null ? null : intervalKw(gpus, clusters, from, to, slotMinutes);
  const intervals: IntervalPerformance[] = event.intervals.map((interval) => {
    const from = Date.parse(interval.startUtc);
    const to = Date.parse(interval.endUtc);
    const c = kwOf(counterfactual, from, to);
    const h = kwOf(home, from, to);
    const p = kwOf(planned, from, to);
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
      realizedKw: null,
      reductionVsCounterfactualPct: reductionPct(c, p),
      reductionVsHomePct: reductionPct(h, p),
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
    },
    interactiveShortfallGpuHours,
    realized: {
      status: 'not-reported',
      note: 'realized load needs metered usage (gridshift.usage.v1), which this version does not store yet',
    },
  };
  return { ...report, summary: performanceSummary(report) };
}
