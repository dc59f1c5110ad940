import { Inject, Injectable } from '@nestjs/common';
import { savingsAgainst } from '#gridshift/placement';
import { APP_CONFIG } from '#gridshift/platform';
import type { AdminApiConfig } from '../config.js';
import { NotFoundError, ValidationError } from '../http/errors.js';
import { cellPrice, pricingFromProblem, type SchedulePricing } from './pricing.js';
import { PromiseLru } from './lru.js';
import {
  comparedFigures,
  costCells,
  type CostedCell,
  type CostFigures,
  summarizeMoves,
} from './schedule-math.js';
import { type ScheduleFacts, type ScheduleState, ScheduleStore } from './schedule.store.js';
import type { DiffView, ScheduleDetail, ScheduleSummary } from './schedules.schemas.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const sameMoney = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

/** Everything about a schedule that never changes, computed once and kept (placements are immutable). */
export interface ScheduleFactsView {
  facts: ScheduleFacts;
  pricing: SchedulePricing | null;
  cells: CostedCell[];
  byCluster: Map<string, CostFigures>;
  totals: CostFigures;
  unpricedCells: number;
  currency: string | null;
  /** The immutable part of the detail response, serialised once (without braces). */
  detailJson?: string;
}

/** Energy + carbon cost of one GPU-hour of `view` in a cell. */
export function costPerGpuHour(
  pricing: SchedulePricing | null,
  clusterId: string,
  slotStartMs: number,
): number | undefined {
  const price = cellPrice(pricing, clusterId, slotStartMs);
  return price ? price.energyCostPerGpuHour + price.carbonCostPerGpuHour : undefined;
}

/** Cells as a clusters × slots grid aligned with the horizon's slot starts (zeros where nothing runs). */
function gridOf(view: ScheduleFactsView): ScheduleDetail['grid'] {
  const slotMs = view.facts.slotMinutes * 60_000;
  const starts = new Set<number>();
  for (let t = view.facts.horizonStart.getTime(); t < view.facts.horizonEnd.getTime(); t += slotMs)
    starts.add(t);
  for (const c of view.cells) starts.add(c.slotStartMs);
  const slots = [...starts].sort((a, b) => a - b);
  const index = new Map(slots.map((t, i) => [t, i]));
  const rows = new Map<
    string,
    { clusterId: string; gpus: number[]; gpuHours: number[]; jobs: number[]; cost: number[] }
  >();
  for (const c of view.cells) {
    let row = rows.get(c.clusterId);
    if (!row) {
      const zeros = () => slots.map(() => 0);
      row = { clusterId: c.clusterId, gpus: zeros(), gpuHours: zeros(), jobs: zeros(), cost: zeros() };
      rows.set(c.clusterId, row);
    }
    const i = index.get(c.slotStartMs)!;
    row.gpus[i] = c.gpus;
    row.gpuHours[i] = c.gpuHours;
    row.jobs[i] = c.jobs;
    row.cost[i] = c.cost;
  }
  return {
    slotStarts: slots.map((t) => new Date(t).toISOString()),
    clusters: [...rows.values()].sort((a, b) => a.clusterId.localeCompare(b.clusterId)),
  };
}

interface Cursor {
  createdAt: string;
  id: string;
}
const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function decodeCursor(cursor: string, field = 'cursor'): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new ValidationError([{ field, in: 'query', message: 'not a cursor this API returned' }]);
  }
}

/** Schedule list, detail, placements, per-job view and diff, from stored placements and snapshot prices. */
@Injectable()
export class ScheduleViews {
  private readonly factsCache: PromiseLru<ScheduleFactsView | undefined>;
  private readonly pricingCache = new PromiseLru<SchedulePricing | null>(4096);
  private readonly diffCache = new PromiseLru<Omit<DiffView, 'jobs' | 'page'> & { jobs: DiffView['jobs'] }>(
    8,
  );

  constructor(
    private readonly store: ScheduleStore,
    @Inject(APP_CONFIG) config: AdminApiConfig,
  ) {
    this.factsCache = new PromiseLru(config.SCHEDULE_CACHE_ENTRIES);
  }

  /** A page of schedule summaries, newest first, as JSON text (SchedulePageSchema). */
  async listJson(query: {
    status?: ScheduleState['status'][];
    kind?: 'plan' | 'what-if';
    from?: Date;
    to?: Date;
    covering?: Date;
    limit: number;
    cursor?: string;
  }): Promise<string> {
    let after: Cursor | undefined;
    if (query.cursor) {
      const raw = decodeCursor(query.cursor);
      const ok =
        Array.isArray(raw) &&
        typeof raw[0] === 'string' &&
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(raw[0]) &&
        typeof raw[1] === 'string' &&
        /^[0-9a-f-]{36}$/i.test(raw[1]);
      if (!ok)
        throw new ValidationError([
          { field: 'cursor', in: 'query', message: 'not a cursor this API returned' },
        ]);
      after = { createdAt: raw[0] as string, id: raw[1] as string };
    }
    const rows = await this.store.list({
      statuses: query.status,
      kind: query.kind,
      createdFrom: query.from,
      createdTo: query.to,
      covering: query.covering,
      after,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > query.limit && last ? encodeCursor([last.createdCursor, last.id]) : null;
    return `{"items":[${page.map((r) => r.json).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
  }

  /** The snapshot prices of a schedule (cached; small). */
  pricing(id: string): Promise<SchedulePricing | null> {
    return this.pricingCache.get(id, async () => pricingFromProblem(await this.store.pricingInput(id)));
  }

  /** The immutable view of a schedule, or undefined when it does not exist. */
  async factsView(id: string): Promise<ScheduleFactsView | undefined> {
    const view = await this.factsCache.get(id, async () => {
      const facts = await this.store.facts(id);
      if (!facts) return undefined;
      const [pricing, cells] = await Promise.all([this.pricing(id), this.store.cells(id)]);
      const costed = costCells(cells, pricing);
      const currency =
        typeof facts.totals.currency === 'string' ? facts.totals.currency : (pricing?.currency ?? null);
      return {
        facts,
        pricing,
        cells: costed.cells,
        byCluster: costed.byCluster,
        totals: costed.totals,
        unpricedCells: costed.unpricedCells,
        currency,
      };
    });
    // An id that does not exist (yet) is not remembered: the planner may store it a moment later.
    if (!view) this.factsCache.delete(id);
    return view;
  }

  private async require(id: string): Promise<{ state: ScheduleState; view: ScheduleFactsView }> {
    const [state, view] = await Promise.all([this.store.state(id), this.factsView(id)]);
    if (!state || !view) throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    return { state, view };
  }

  /** The summary of one schedule (fresh status). */
  async summary(id: string): Promise<ScheduleSummary> {
    const row = await this.store.summaryJson(id);
    if (!row) throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    return JSON.parse(row.summary) as ScheduleSummary;
  }

  /**
   * Detail: stored figures, costs recomputed from placements × snapshot prices, the cluster × slot grid,
   * assumptions, shortfalls. Returned as JSON text: the immutable part (most of the bytes) is serialised
   * once per schedule; per request only the summary (built by PostgreSQL) and the status fields are read.
   */
  async detailJson(id: string, shortfallLimit: number): Promise<string> {
    const [row, view] = await Promise.all([this.store.summaryJson(id), this.factsView(id)]);
    if (!row || !view) throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    view.detailJson ??= JSON.stringify(this.immutableDetail(view)).slice(1, -1);
    const shortfalls = view.facts.shortfalls;
    return (
      `{${row.summary.slice(1, -1)},"supersedesVersion":${JSON.stringify(row.supersedesVersion)},` +
      `"approval":${row.approval ?? 'null'},"shortfalls":${JSON.stringify(shortfalls.slice(0, shortfallLimit))},` +
      `"shortfallsTruncated":${shortfalls.length > shortfallLimit},${view.detailJson}}`
    );
  }

  private immutableDetail(view: ScheduleFactsView) {
    const { facts } = view;
    const t = facts.totals;
    const penaltyCost = num(t.penaltyCost) ?? 0;
    const stabilityCost = num(t.stabilityCost) ?? 0;
    const totalCost = view.totals.cost + penaltyCost + stabilityCost;
    const storedTotalCost = num(t.totalCost);
    const baselines = { home: obj(facts.baselines.home), greedy: obj(facts.baselines.greedy) };
    // The schedule's side of every comparison: energy + carbon recomputed from its placements, its stored
    // penalty cost, and the GPU-hours its placements serve.
    const schedule = {
      energyCost: view.totals.energyCost,
      carbonCost: view.totals.carbonCost,
      penaltyCost,
      servedGpuHours: view.totals.gpuHours,
    };
    const unservedGpuHours = num(t.unservedGpuHours);
    const savingsVs = (baseline: Record<string, unknown> | null) => {
      const figures = comparedFigures(baseline);
      if (figures === null) return null;
      const saving = savingsAgainst(figures, schedule);
      return {
        ...saving,
        baselineCost: figures.energyCost + figures.carbonCost + figures.penaltyCost,
        cost: schedule.energyCost + schedule.carbonCost + schedule.penaltyCost,
        baselineUnservedGpuHours: num(baseline?.unservedGpuHours),
        unservedGpuHours,
      };
    };
    return {
      inputHash: facts.inputHash,
      leaderEpoch: facts.leaderEpoch,
      objective: facts.objective,
      solverStats: facts.solverStats,
      costs: {
        currency: view.currency,
        gpuHours: view.totals.gpuHours,
        energyMwh: view.totals.energyMwh,
        energyCost: view.totals.energyCost,
        carbonCost: view.totals.carbonCost,
        penaltyCost,
        stabilityCost,
        totalCost,
        storedTotalCost,
        matchesStoredTotals: storedTotalCost !== null && sameMoney(storedTotalCost, totalCost),
        unpricedCells: view.unpricedCells,
      },
      baselines,
      computedSavings: { vsHome: savingsVs(baselines.home), vsGreedy: savingsVs(baselines.greedy) },
      byCluster: [...view.byCluster.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([clusterId, f]) => ({
          clusterId,
          gpuHours: f.gpuHours,
          energyMwh: f.energyMwh,
          energyCost: f.energyCost,
          cost: f.cost,
        })),
      grid: gridOf(view),
      assumptions: facts.assumptions,
    };
  }

  /** A page of per-job placements with their cost at the snapshot prices. */
  async placements(
    id: string,
    query: { clusterId?: string; slotStart?: Date; jobId?: string; limit: number; cursor?: string },
  ): Promise<{
    items: {
      jobId: string;
      clusterId: string;
      slotStart: string;
      gpus: number;
      gpuHours: number;
      cost: number | null;
    }[];
    nextCursor: string | null;
  }> {
    const { view } = await this.require(id);
    let after: { clusterId: string; slotStart: Date; jobId: string } | undefined;
    if (query.cursor) {
      const raw = decodeCursor(query.cursor);
      if (
        !Array.isArray(raw) ||
        raw.length !== 3 ||
        !raw.every((v) => typeof v === 'string') ||
        Number.isNaN(Date.parse(raw[1] as string))
      ) {
        throw new ValidationError([
          { field: 'cursor', in: 'query', message: 'not a cursor this API returned' },
        ]);
      }
      after = { clusterId: raw[0] as string, slotStart: new Date(raw[1] as string), jobId: raw[2] as string };
    }
    const rows = await this.store.placements(id, { ...query, after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((p) => {
        const price = costPerGpuHour(view.pricing, p.clusterId, p.slotStart.getTime());
        return {
          jobId: p.jobId,
          clusterId: p.clusterId,
          slotStart: p.slotStart.toISOString(),
          gpus: p.gpus,
          gpuHours: p.gpuHours,
          cost: price === undefined ? null : p.gpuHours * price,
        };
      }),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor([last.clusterId, last.slotStart.toISOString(), last.jobId])
          : null,
    };
  }

  /** One job in one schedule: its placements, cost, shortfall and explanation. */
  async job(id: string, jobId: string) {
    const { view } = await this.require(id);
    const rows = await this.store.placements(id, { jobId, limit: 100_000 });
    const shortfall = view.facts.shortfalls.find((s) => obj(s)?.jobId === jobId) ?? null;
    const explanation = await this.store.explanation(id, jobId);
    if (rows.length === 0 && shortfall === null && explanation === null) {
      throw new NotFoundError(`job in schedule ${id}`, jobId, { name: 'jobId', in: 'path' });
    }
    let gpuHours = 0;
    let cost = 0;
    const placements = rows.map((p) => {
      const price = costPerGpuHour(view.pricing, p.clusterId, p.slotStart.getTime());
      gpuHours += p.gpuHours;
      if (price !== undefined) cost += p.gpuHours * price;
      return {
        jobId: p.jobId,
        clusterId: p.clusterId,
        slotStart: p.slotStart.toISOString(),
        gpus: p.gpus,
        gpuHours: p.gpuHours,
        cost: price === undefined ? null : p.gpuHours * price,
      };
    });
    return { scheduleId: id, jobId, gpuHours, cost, placements, shortfall, explanation };
  }

  /**
   * Diff of `id` against `againstId` (default: the published plan): over the slots both horizons cover, which
   * jobs move where, GPU-hours moved and the cost delta, both sides priced with `id`'s snapshot prices.
   */
  async diff(id: string, query: { against?: string; limit: number; offset: number }): Promise<DiffView> {
    const { view: candidate } = await this.require(id);
    let againstId = query.against;
    if (againstId !== undefined) {
      if (!(await this.store.state(againstId)))
        throw new NotFoundError('schedule', againstId, { name: 'against', in: 'query' });
    } else {
      againstId = await this.store.publishedPlan(id);
    }
    const full = await this.diffCache.get(`${id}:${againstId ?? '-'}`, () =>
      this.computeDiff(id, candidate, againstId),
    );
    // Placements never change, statuses do: read the base's status fresh.
    const againstState = againstId ? await this.store.state(againstId) : undefined;
    return {
      ...full,
      against: full.against && againstState ? { ...full.against, status: againstState.status } : full.against,
      jobs: full.jobs.slice(query.offset, query.offset + query.limit),
      page: { offset: query.offset, limit: query.limit, total: full.jobs.length },
    };
  }

  private async computeDiff(id: string, candidate: ScheduleFactsView, againstId: string | undefined) {
    const base = againstId ? await this.factsView(againstId) : undefined;
    const baseState = againstId ? await this.store.state(againstId) : undefined;
    const fromMs = Math.max(
      candidate.facts.horizonStart.getTime(),
      base?.facts.horizonStart.getTime() ?? -Infinity,
    );
    const toMs = Math.min(candidate.facts.horizonEnd.getTime(), base?.facts.horizonEnd.getTime() ?? Infinity);
    const inWindow = (slotMs: number) => slotMs >= fromMs && slotMs < toMs;
    // One price for both sides: the candidate's; a cell only the base has a price for falls back to the base's.
    const price = (clusterId: string, slotMs: number) =>
      costPerGpuHour(candidate.pricing, clusterId, slotMs) ??
      costPerGpuHour(base?.pricing ?? null, clusterId, slotMs);
    let unpricedCells = 0;
    const sideCost = (cells: readonly CostedCell[]) => {
      let gpuHours = 0;
      let cost = 0;
      for (const c of cells) {
        if (!inWindow(c.slotStartMs)) continue;
        gpuHours += c.gpuHours;
        const p = price(c.clusterId, c.slotStartMs);
        if (p === undefined) unpricedCells += 1;
        else cost += c.gpuHours * p;
      }
      return { gpuHours, cost };
    };
    const before = base ? sideCost(base.cells) : { gpuHours: 0, cost: 0 };
    const after = sideCost(candidate.cells);
    const window = { from: new Date(fromMs), to: new Date(toMs) };
    const changed =
      toMs > fromMs
        ? await this.store.changedCells(
            againstId ?? '00000000-0000-0000-0000-000000000000',
            id,
            window.from,
            window.to,
          )
        : [];
    const moves = summarizeMoves(changed, price);
    return {
      scheduleId: id,
      against:
        againstId && baseState
          ? { id: againstId, version: baseState.version, status: baseState.status }
          : null,
      window: {
        from: window.from.toISOString(),
        to: (toMs > fromMs ? window.to : window.from).toISOString(),
      },
      currency: candidate.currency,
      pricing: 'both schedules priced with the candidate’s snapshot prices (energy + carbon per GPU-hour)',
      totals: {
        gpuHoursBefore: before.gpuHours,
        gpuHoursAfter: after.gpuHours,
        movedGpuHours: moves.movedGpuHours,
        addedGpuHours: moves.addedGpuHours,
        costBefore: before.cost,
        costAfter: after.cost,
        costDelta: after.cost - before.cost,
        jobsChanged: moves.jobs.length,
        unpricedCells,
      },
      jobs: moves.jobs,
    };
  }
}
