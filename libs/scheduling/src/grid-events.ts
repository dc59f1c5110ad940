// Demand-response events in planning: loading the active events, turning them into per-cluster per-slot caps,
// price adders and carbon, deciding voluntary ones, and the assumptions a schedule lists; one rule set, one file.
import type { DataSource, EntityManager } from 'typeorm';
import type { OrderReasonV1 } from '#gridshift/contracts';
import type { PlacementResult } from '#gridshift/placement';
import { GridEventRepository, type GridEventRow } from '#gridshift/persistence';
import type { Assumption } from './assumptions.js';
import type { PlanningCluster, PlanningInputs } from './inputs.js';

// Demand-response events → planning inputs. Rules (docs: apps/planner/README.md#grid-events):
//  - An event applies to the clusters of its target zones (narrowed to `clusterIds` when set), in every slot one
//    of its intervals overlaps (a cap on part of a slot caps the whole slot: conservative).
//  - IMPORT_CAPACITY_LIMIT (kW) caps the targets' facility power together; the zone-level cap is spread over the
//    targeted clusters in proportion to their schedulable facility power in the slot (schedulable GPUs × kW per
//    GPU × PUE), so each cluster keeps the same share of its room.
//  - LOAD_REDUCTION is measured against the plan in force when the event was first received (the baseline):
//    PERCENT caps each cluster at (1 − p/100) × its baseline power; KW caps the targets at Σ baseline − kW,
//    spread in proportion to the baseline power. Without a baseline plan covering the slot it does not apply
//    (reported).
//  - Overlapping events and the cluster's own cap: the lowest cap wins.
//  - PRICE adds to the zone price, weighted by the share of the slot the interval covers; several add up.
//  - GHG replaces the zone's carbon intensity for the covered share of the slot.
//  - Mandatory caps are hard caps. A voluntary event's caps apply only when following it pays (chooseVoluntary).

const MS_PER_MINUTE = 60_000;
const KWH_PER_MWH = 1000;

type Db = DataSource | EntityManager;

/** GPUs per (cluster, slot start ms) of the plan in force when an event arrived. */
export interface GridEventBaseline {
  scheduleId: string;
  horizonEndMs: number;
  gpusByCell: Map<string, number>;
}

/** An active event with its baseline plan (null when none was in force). */
export interface ActiveGridEvent {
  event: GridEventRow;
  baseline: GridEventBaseline | null;
}

/** One cluster-slot cap an event asked for. */
export interface GridEventCap {
  clusterId: string;
  slotStartUtc: string;
  capKw: number;
  /** The baseline plan's facility power there, kW (null without a baseline). */
  baselineKw: number | null;
}

/** Whether a voluntary event was followed, and the arithmetic behind it. */
export interface VoluntaryDecision {
  followed: boolean;
  /** Objective of the plan that ignores the event / follows it (base currency). */
  costIfIgnored: number;
  costIfFollowed: number;
  /** Energy the ignoring plan draws above the requested level, MWh. */
  excessMwhIfIgnored: number;
  incentivePerMwh: number;
  /** incentivePerMwh × excessMwhIfIgnored: what ignoring the event forgoes. */
  forgoneIncentive: number;
}

/** What one event did to a plan's inputs. */
export interface AppliedGridEvent {
  eventId: string;
  programId: string;
  modificationNumber: number;
  priority: number;
  compliance: 'mandatory' | 'voluntary';
  /** The active clusters the event targets (its zones, narrowed to its clusters). */
  clusterIds: string[];
  /** Caps that went into the problem (empty for an ignored voluntary event). */
  caps: GridEventCap[];
  priceAdders: { zone: string; slotStartUtc: string; perMwh: number }[];
  carbon: { zone: string; slotStartUtc: string; gPerKwh: number }[];
  decision: VoluntaryDecision | null;
  notes: string[];
}

function cellKey(clusterId: string, slotMs: number): string {
  return `${clusterId}|${slotMs}`;
}

/**
 * Active events overlapping the horizon, with the baseline plan of each (reads only). Baselines are read only for
 * events with a LOAD_REDUCTION payload, only for their targeted clusters and their own time span (a few cells).
 */
export async function loadActiveGridEvents(
  db: Db,
  inputs: Pick<PlanningInputs, 'horizonStartUtc' | 'slotStartsUtc' | 'slotMinutes' | 'clusters'>,
  options: { baselines?: boolean } = {},
): Promise<ActiveGridEvent[]> {
  const repo = new GridEventRepository(db);
  const slotMs = inputs.slotMinutes * MS_PER_MINUTE;
  const fromMs = Date.parse(inputs.horizonStartUtc);
  const toMs = fromMs + inputs.slotStartsUtc.length * slotMs;
  const events = await repo.activeBetween(new Date(fromMs), new Date(toMs));
  return Promise.all(
    events.map(async (event): Promise<ActiveGridEvent> => {
      const id = event.baselineScheduleId;
      const needed = event.intervals.some((i) => i.reductionKw !== null || i.reductionPct !== null);
      if (options.baselines === false || id === null || !needed) return { event, baseline: null };
      const clusterIds = targetsOf(event, inputs.clusters).map((r) => inputs.clusters[r]!.id);
      const spanFromMs = Math.max(fromMs, Math.floor(Date.parse(event.startsAtUtc) / slotMs) * slotMs);
      const spanToMs = Math.min(toMs, Date.parse(event.endsAtUtc));
      const [horizon, cells] = await Promise.all([
        repo.scheduleHorizon(id),
        repo.clusterSlotLoad(id, clusterIds, new Date(spanFromMs), new Date(spanToMs)),
      ]);
      if (horizon === null) return { event, baseline: null };
      return {
        event,
        baseline: {
          scheduleId: id,
          horizonEndMs: Date.parse(horizon.horizonEndUtc),
          gpusByCell: new Map(cells.map((c) => [cellKey(c.clusterId, Date.parse(c.slotStartUtc)), c.gpus])),
        },
      };
    }),
  );
}

/** Event id → modificationNumber of the active events: what change detection compares. */
export function gridEventRevisions(events: readonly ActiveGridEvent[]): Record<string, number> {
  return Object.fromEntries(events.map((e) => [e.event.eventId, e.event.modificationNumber]));
}

function kwPerGpuAtMeter(cluster: Pick<PlanningCluster, 'kwPerGpu' | 'pue'>): number {
  return cluster.kwPerGpu * cluster.pue;
}

function targetsOf(event: GridEventRow, clusters: readonly PlanningCluster[]): number[] {
  const zones = new Set(event.zones);
  const named = event.clusterIds === null ? null : new Set(event.clusterIds);
  const out: number[] = [];
  clusters.forEach((c, r) => {
    if (zones.has(c.zone) && (named === null || named.has(c.id))) out.push(r);
  });
  return out;
}

/** The caps an event asks for (cluster index → slot → kW), with the notes of what could not apply. Pure. */
export function eventCaps(
  inputs: Pick<PlanningInputs, 'slotStartsUtc' | 'slotMinutes' | 'clusters'>,
  active: ActiveGridEvent,
): { caps: GridEventCap[]; byCell: Map<number, Map<number, number>>; notes: string[] } {
  const { event, baseline } = active;
  const slotMs = inputs.slotMinutes * MS_PER_MINUTE;
  const targets = targetsOf(event, inputs.clusters);
  const byCell = new Map<number, Map<number, number>>();
  const caps: GridEventCap[] = [];
  const notes: string[] = [];
  const setCap = (r: number, t: number, kw: number) => {
    let slots = byCell.get(r);
    if (!slots) byCell.set(r, (slots = new Map<number, number>()));
    const capKw = Math.max(0, Math.min(kw, slots.get(t) ?? Number.POSITIVE_INFINITY));
    slots.set(t, capKw);
  };
  const baselineKwOf = (r: number, startMs: number): number | null => {
    if (baseline === null || startMs >= baseline.horizonEndMs) return null;
    const cluster = inputs.clusters[r]!;
    return (baseline.gpusByCell.get(cellKey(cluster.id, startMs)) ?? 0) * kwPerGpuAtMeter(cluster);
  };
  let missingBaseline = 0;
  inputs.slotStartsUtc.forEach((startUtc, t) => {
    const startMs = Date.parse(startUtc);
    for (const interval of event.intervals) {
      const overlap =
        Math.min(startMs + slotMs, Date.parse(interval.endUtc)) -
        Math.max(startMs, Date.parse(interval.startUtc));
      if (overlap <= 0) continue;
      if (interval.capKw !== null) {
        const room = targets.map((r) => {
          const c = inputs.clusters[r]!;
          return (c.schedulableGpus[t] ?? 0) * kwPerGpuAtMeter(c);
        });
        const total = room.reduce((a, b) => a + b, 0);
        targets.forEach((r, i) => setCap(r, t, total > 0 ? (interval.capKw! * room[i]!) / total : 0));
      }
      if (interval.reductionPct !== null || interval.reductionKw !== null) {
        const base = targets.map((r) => baselineKwOf(r, startMs));
        if (base.some((b) => b === null)) {
          missingBaseline += 1;
          continue;
        }
        const kw = base as number[];
        if (interval.reductionPct !== null) {
          targets.forEach((r, i) => setCap(r, t, kw[i]! * (1 - interval.reductionPct! / 100)));
        }
        if (interval.reductionKw !== null) {
          const total = kw.reduce((a, b) => a + b, 0);
          const allowed = Math.max(0, total - interval.reductionKw);
          targets.forEach((r, i) => setCap(r, t, total > 0 ? (allowed * kw[i]!) / total : 0));
        }
      }
    }
  });
  for (const [r, slots] of byCell) {
    const cluster = inputs.clusters[r]!;
    for (const [t, capKw] of [...slots].sort((a, b) => a[0] - b[0])) {
      const startUtc = inputs.slotStartsUtc[t]!;
      caps.push({
        clusterId: cluster.id,
        slotStartUtc: startUtc,
        capKw,
        baselineKw: baselineKwOf(r, Date.parse(startUtc)),
      });
    }
  }
  if (targets.length === 0) notes.push('no active cluster in the targets');
  if (missingBaseline > 0)
    notes.push(
      `LOAD_REDUCTION not applied in ${missingBaseline} interval-slot(s): no plan was in force when the event arrived, or it did not cover the slot`,
    );
  return { caps, byCell, notes };
}

/**
 * Applies the events to the inputs (pure; returns new inputs, the given ones are not changed): the caps of
 * mandatory events and of the voluntary ones in `follow`, every event's PRICE adders and GHG values. The cap per
 * cluster and slot is the lowest of its own and every applied event's.
 */
export function applyGridEvents(
  inputs: PlanningInputs,
  events: readonly ActiveGridEvent[],
  follow: ReadonlySet<string>,
  decisions: ReadonlyMap<string, VoluntaryDecision> = new Map(),
): { inputs: PlanningInputs; applied: AppliedGridEvent[] } {
  const n = inputs.slotStartsUtc.length;
  const slotMs = inputs.slotMinutes * MS_PER_MINUTE;
  const eventCapByCluster = inputs.clusters.map(() => new Array<number>(n).fill(Number.POSITIVE_INFINITY));
  const zones = inputs.zones.map((z) => ({
    ...z,
    pricePerMwh: [...z.pricePerMwh],
    carbonGPerKwh: [...z.carbonGPerKwh],
  }));
  const applied: AppliedGridEvent[] = [];
  for (const active of events) {
    const { event } = active;
    const capsApply = event.compliance === 'mandatory' || follow.has(event.eventId);
    const { caps, byCell, notes } = eventCaps(inputs, active);
    if (capsApply) {
      for (const [r, slots] of byCell)
        for (const [t, kw] of slots) eventCapByCluster[r]![t] = Math.min(eventCapByCluster[r]![t]!, kw);
    }
    const priceAdders: AppliedGridEvent['priceAdders'] = [];
    const carbon: AppliedGridEvent['carbon'] = [];
    for (const zone of zones) {
      if (!event.zones.includes(zone.zone)) continue;
      inputs.slotStartsUtc.forEach((startUtc, t) => {
        const startMs = Date.parse(startUtc);
        let adder = 0;
        for (const interval of event.intervals) {
          const overlap =
            Math.min(startMs + slotMs, Date.parse(interval.endUtc)) -
            Math.max(startMs, Date.parse(interval.startUtc));
          if (overlap <= 0) continue;
          const share = overlap / slotMs;
          if (interval.priceAdderPerMwh !== null) adder += interval.priceAdderPerMwh * share;
          if (interval.carbonGPerKwh !== null) {
            const before = zone.carbonGPerKwh[t] ?? null;
            const value =
              before === null
                ? interval.carbonGPerKwh
                : before * (1 - share) + interval.carbonGPerKwh * share;
            zone.carbonGPerKwh[t] = value;
            carbon.push({ zone: zone.zone, slotStartUtc: startUtc, gPerKwh: value });
          }
        }
        if (adder !== 0) {
          zone.pricePerMwh[t] = zone.pricePerMwh[t]! + adder;
          priceAdders.push({ zone: zone.zone, slotStartUtc: startUtc, perMwh: adder });
        }
      });
    }
    applied.push({
      eventId: event.eventId,
      programId: event.programId,
      modificationNumber: event.modificationNumber,
      priority: event.priority,
      compliance: event.compliance,
      clusterIds: targetsOf(event, inputs.clusters).map((r) => inputs.clusters[r]!.id),
      caps: capsApply ? caps : [],
      priceAdders,
      carbon,
      decision: decisions.get(event.eventId) ?? null,
      notes,
    });
  }
  const clusters = inputs.clusters.map((cluster, r) => {
    const eventCaps = eventCapByCluster[r]!;
    if (eventCaps.every((kw) => kw === Number.POSITIVE_INFINITY)) return cluster;
    const own = cluster.powerCapKw;
    const ownAt = (t: number): number | null =>
      own === null ? null : typeof own === 'number' ? own : (own[t] ?? null);
    const gridEventCap = eventCaps.map((kw, t) => {
      const o = ownAt(t);
      return kw !== Number.POSITIVE_INFINITY && (o === null || kw < o);
    });
    return {
      ...cluster,
      powerCapKw: eventCaps.map((kw, t) => (gridEventCap[t] ? kw : ownAt(t))),
      gridEventCap,
    };
  });
  return { inputs: { ...inputs, clusters, zones }, applied };
}

/** Facility energy (kWh) a result draws above the event's caps in the capped cells. */
function excessKwh(result: PlacementResult, inputs: PlanningInputs, caps: readonly GridEventCap[]): number {
  const slotHours = inputs.slotMinutes / 60;
  const meter = new Map(inputs.clusters.map((c) => [c.id, kwPerGpuAtMeter(c)]));
  const gpus = new Map<string, number>();
  for (const p of result.placements) {
    const key = `${p.clusterId}|${p.slotStartUtc}`;
    gpus.set(key, (gpus.get(key) ?? 0) + p.gpus);
  }
  let kwh = 0;
  for (const cap of caps) {
    const kw = (gpus.get(`${cap.clusterId}|${cap.slotStartUtc}`) ?? 0) * (meter.get(cap.clusterId) ?? 0);
    kwh += Math.max(0, kw - cap.capKw) * slotHours;
  }
  return kwh;
}

/** Solves the inputs as they would be planned (build + solve + round); injected by the planner. */
export type EvaluatePlan = (inputs: PlanningInputs) => Promise<PlacementResult>;

/**
 * Decides each voluntary event with caps by two plans on the same inputs: one ignoring it (A), one following it
 * (B). Ignoring it forgoes incentive × the energy A draws above the requested level; it is followed exactly when
 * cost(B) ≤ cost(A) + that forgone incentive, i.e. when following pays. Each event is decided against the plan
 * with only the mandatory events (independently of the other voluntary ones). `result` is the plan of the chosen
 * set when it was one of those solved (none or one event followed: A or that event's B), so the planner does not
 * solve it again; null when several are followed (their combination was not solved).
 */
export async function chooseVoluntary(
  inputs: PlanningInputs,
  events: readonly ActiveGridEvent[],
  evaluate: EvaluatePlan,
): Promise<{
  follow: Set<string>;
  decisions: Map<string, VoluntaryDecision>;
  result: PlacementResult | null;
}> {
  const follow = new Set<string>();
  const decisions = new Map<string, VoluntaryDecision>();
  const voluntary = events.filter(
    (e) => e.event.compliance === 'voluntary' && eventCaps(inputs, e).caps.length > 0,
  );
  if (voluntary.length === 0) return { follow, decisions, result: null };
  const ignoring = applyGridEvents(inputs, events, new Set()).inputs;
  const a = await evaluate(ignoring);
  const following = new Map<string, PlacementResult>();
  for (const active of voluntary) {
    const { caps } = eventCaps(inputs, active);
    const b = await evaluate(applyGridEvents(inputs, events, new Set([active.event.eventId])).inputs);
    following.set(active.event.eventId, b);
    const excessMwh = excessKwh(a, ignoring, caps) / KWH_PER_MWH;
    const incentive = active.event.incentivePerMwh ?? 0;
    const forgone = incentive * excessMwh;
    const costIfIgnored = a.totals.totalCost;
    const costIfFollowed = b.totals.totalCost;
    const followed = costIfFollowed <= costIfIgnored + forgone + 1e-9 * Math.max(1, Math.abs(costIfIgnored));
    if (followed) follow.add(active.event.eventId);
    decisions.set(active.event.eventId, {
      followed,
      costIfIgnored,
      costIfFollowed,
      excessMwhIfIgnored: excessMwh,
      incentivePerMwh: incentive,
      forgoneIncentive: forgone,
    });
  }
  const result = follow.size === 0 ? a : follow.size === 1 ? following.get([...follow][0]!)! : null;
  return { follow, decisions, result };
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The `grid-event` assumption of each applied event: what the schedule honoured (or declined) and why. */
export function gridEventAssumptions(applied: readonly AppliedGridEvent[]): Assumption[] {
  return applied.map((a) => {
    const slots = [...new Set([...a.caps, ...a.priceAdders, ...a.carbon].map((x) => x.slotStartUtc))].sort();
    const what: string[] = [];
    if (a.caps.length > 0) {
      const lowest = Math.min(...a.caps.map((c) => c.capKw));
      const clusters = [...new Set(a.caps.map((c) => c.clusterId))];
      what.push(`caps ${clusters.join(', ')} (lowest ${round(lowest, 1)} kW)`);
    }
    if (a.priceAdders.length > 0) what.push(`adds a price in ${a.priceAdders.length} zone-slot(s)`);
    if (a.carbon.length > 0) what.push(`sets carbon intensity in ${a.carbon.length} zone-slot(s)`);
    const d = a.decision;
    const verdict =
      d === null
        ? ''
        : d.followed
          ? `; followed: costs ${round(d.costIfFollowed - d.costIfIgnored)} more, forgoes ${round(d.forgoneIncentive)} of incentive if ignored`
          : `; not followed: would cost ${round(d.costIfFollowed - d.costIfIgnored)} more than the ${round(d.forgoneIncentive)} incentive it earns`;
    return {
      code: 'grid-event' as const,
      message: `grid event ${a.eventId} (${a.compliance}, program ${a.programId}, revision ${a.modificationNumber}): ${
        what.length > 0 ? what.join('; ') : 'nothing to apply in this horizon'
      }${verdict}${a.notes.length > 0 ? `; ${a.notes.join('; ')}` : ''}`,
      slotStartsUtc: slots,
      details: {
        eventId: a.eventId,
        programId: a.programId,
        modificationNumber: a.modificationNumber,
        priority: a.priority,
        compliance: a.compliance,
        honoured: a.compliance === 'mandatory' || d === null || d.followed,
        clusterIds: a.clusterIds,
        caps: a.caps,
        priceAdders: a.priceAdders,
        carbon: a.carbon,
        ...(d === null ? {} : { decision: d }),
        notes: a.notes,
      },
    };
  });
}

/**
 * Loads the active events and applies them to freshly loaded inputs (deciding voluntary ones with `evaluate`
 * when given; without it voluntary caps are not applied; `baselines: false` skips LOAD_REDUCTION caps — change
 * detection only needs revisions and prices). Returns the inputs to plan with, the `grid-event`
 * assumptions, the event revisions for change detection and, when deciding voluntary events already solved the
 * returned inputs, that result (`solved`; the planner then does not solve them again).
 */
export async function withGridEvents(
  db: Db,
  inputs: PlanningInputs,
  evaluate?: EvaluatePlan,
  options: { baselines?: boolean } = {},
): Promise<{
  inputs: PlanningInputs;
  assumptions: Assumption[];
  revisions: Record<string, number>;
  solved: PlacementResult | null;
}> {
  const events = await loadActiveGridEvents(db, inputs, options);
  if (events.length === 0) return { inputs, assumptions: [], revisions: {}, solved: null };
  const { follow, decisions, result } = evaluate
    ? await chooseVoluntary(inputs, events, evaluate)
    : { follow: new Set<string>(), decisions: new Map<string, VoluntaryDecision>(), result: null };
  const { inputs: planned, applied } = applyGridEvents(inputs, events, follow, decisions);
  return {
    inputs: planned,
    assumptions: gridEventAssumptions(applied),
    revisions: gridEventRevisions(events),
    solved: result,
  };
}

/**
 * The reasons each cluster's placement order carries (header `gridshift-reasons`), from a schedule's assumptions:
 * every honoured `grid-event` that targets the cluster (`capped` when it capped the cluster in some slot). Pure;
 * reads stored assumptions too (older ones without `clusterIds` name the capped clusters only).
 */
export function gridEventOrderReasons(assumptions: readonly unknown[]): Map<string, OrderReasonV1[]> {
  const byCluster = new Map<string, OrderReasonV1[]>();
  for (const raw of assumptions) {
    const a = (raw ?? {}) as { code?: unknown; details?: Record<string, unknown> };
    if (a.code !== 'grid-event' || typeof a.details !== 'object' || a.details === null) continue;
    const d = a.details;
    if (d.honoured !== true || typeof d.eventId !== 'string') continue;
    const caps = Array.isArray(d.caps) ? (d.caps as { clusterId?: unknown }[]) : [];
    const capped = new Set(caps.map((c) => c.clusterId).filter((id): id is string => typeof id === 'string'));
    const targets = Array.isArray(d.clusterIds)
      ? (d.clusterIds as unknown[]).filter((id): id is string => typeof id === 'string')
      : [...capped];
    for (const clusterId of new Set([...targets, ...capped])) {
      const list = byCluster.get(clusterId) ?? [];
      list.push({
        code: 'grid-event',
        eventId: d.eventId,
        programId: String(d.programId),
        modificationNumber: Number(d.modificationNumber),
        compliance: d.compliance === 'voluntary' ? 'voluntary' : 'mandatory',
        capped: capped.has(clusterId),
      });
      byCluster.set(clusterId, list);
    }
  }
  return byCluster;
}
