import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  PlacementCellRepository,
  ScheduleRepository,
  type ScheduleStateRow,
  ScheduleViewRepository,
} from '#gridshift/persistence';
import {
  diffPrice,
  diffWindow,
  priceDiffSides,
  recordOrNull,
  summarizeMoves,
  type SchedulePriceCurves,
  type SchedulePricing,
} from '#gridshift/scheduling';
import { NotFoundError } from '../http/errors.js';
import {
  decodePlacementCursor,
  decodeScheduleListCursor,
  encodePlacementCursor,
  encodeScheduleListCursor,
} from './schedule-cursors.js';
import { type FullDiff, ScheduleFactsCache, type ScheduleFactsView } from './schedule-facts.cache.js';
import { immutableDetail, placementItem, type PlacementItem } from './schedule-presenter.js';
import type { DiffView, ScheduleSummary } from './schedules.schemas.js';

const NO_SCHEDULE = '00000000-0000-0000-0000-000000000000';

/**
 * Schedule list, detail, placements, per-job view and diff: reads (libs/persistence), the immutable parts from
 * `ScheduleFactsCache`, shapes from `schedule-presenter`, diff and repricing math from libs/scheduling.
 */
@Injectable()
export class ScheduleViews {
  private readonly schedules: ScheduleViewRepository;
  private readonly cells: PlacementCellRepository;

  constructor(
    private readonly db: DataSource,
    private readonly cache: ScheduleFactsCache,
  ) {
    this.schedules = new ScheduleViewRepository(db);
    this.cells = new PlacementCellRepository(db);
  }

  /** A page of schedule summaries, newest first, as JSON text (SchedulePageSchema). */
  async listJson(query: {
    status?: ScheduleStateRow['status'][];
    kind?: 'plan' | 'what-if';
    from?: Date;
    to?: Date;
    covering?: Date;
    limit: number;
    cursor?: string;
  }): Promise<string> {
    const rows = await this.schedules.list({
      statuses: query.status,
      kind: query.kind,
      createdFrom: query.from,
      createdTo: query.to,
      covering: query.covering,
      after: query.cursor ? decodeScheduleListCursor(query.cursor) : undefined,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > query.limit && last
        ? encodeScheduleListCursor({ createdAt: last.createdCursor, id: last.id })
        : null;
    return `{"items":[${page.map((r) => r.json).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
  }

  /** The snapshot prices of a schedule (cached; small). */
  pricing(id: string): Promise<SchedulePricing | null> {
    return this.cache.pricing(id);
  }

  private async require(id: string): Promise<{ state: ScheduleStateRow; view: ScheduleFactsView }> {
    const [state, view] = await Promise.all([this.schedules.state(id), this.cache.factsView(id)]);
    if (!state || !view) throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    return { state, view };
  }

  /** The summary of one schedule (fresh status). */
  async summary(id: string): Promise<ScheduleSummary> {
    const row = await this.schedules.summaryJson(id);
    if (!row) throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    return JSON.parse(row.summary) as ScheduleSummary;
  }

  /**
   * Detail: stored figures, costs recomputed from placements × snapshot prices, the cluster × slot grid,
   * assumptions, shortfalls. Returned as JSON text: the immutable part (most of the bytes) is serialised
   * once per schedule; per request only the summary (built by PostgreSQL) and the status fields are read.
   */
  async detailJson(id: string, shortfallLimit: number): Promise<string> {
    const [row, view] = await Promise.all([this.schedules.summaryJson(id), this.cache.factsView(id)]);
    if (!row || !view) throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    view.detailJson ??= JSON.stringify(immutableDetail(view)).slice(1, -1);
    const shortfalls = view.facts.shortfalls;
    return (
      `{${row.summary.slice(1, -1)},"supersedesVersion":${JSON.stringify(row.supersedesVersion)},` +
      `"approval":${row.approval ?? 'null'},"shortfalls":${JSON.stringify(shortfalls.slice(0, shortfallLimit))},` +
      `"shortfallsTruncated":${shortfalls.length > shortfallLimit},${view.detailJson}}`
    );
  }

  /** The zone prices the schedule was planned on, per slot, with the forecast's bands where it forecast. */
  async prices(id: string): Promise<{ scheduleId: string } & SchedulePriceCurves> {
    const curves = await this.cache.priceCurves(id);
    if (!curves) throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    return { scheduleId: id, ...curves };
  }

  /** A page of per-job placements with their cost at the snapshot prices. */
  async placements(
    id: string,
    query: { clusterId?: string; slotStart?: Date; jobId?: string; limit: number; cursor?: string },
  ): Promise<{ items: PlacementItem[]; nextCursor: string | null }> {
    const { view } = await this.require(id);
    const after = query.cursor ? decodePlacementCursor(query.cursor) : undefined;
    const rows = await this.cells.page(id, { ...query, after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((p) => placementItem(view.pricing, p)),
      nextCursor: rows.length > query.limit && last ? encodePlacementCursor(last) : null,
    };
  }

  /** One job in one schedule: its placements, cost, shortfall and explanation. */
  async job(id: string, jobId: string) {
    const { view } = await this.require(id);
    const rows = await this.cells.page(id, { jobId, limit: 100_000 });
    const shortfall = view.facts.shortfalls.find((s) => recordOrNull(s)?.jobId === jobId) ?? null;
    // Schedules stored before explanations were computed on request still carry theirs.
    const explanation =
      (await this.schedules.jobExplanation(id, jobId)) ??
      (await this.cache.explainer(id))?.(
        jobId,
        rows.map((p) => ({
          jobId: p.jobId,
          clusterId: p.clusterId,
          slotStartUtc: p.slotStart.toISOString(),
          gpus: p.gpus,
          gpuHours: p.gpuHours,
        })),
      ) ??
      null;
    if (rows.length === 0 && shortfall === null && explanation === null) {
      throw new NotFoundError(`job in schedule ${id}`, jobId, { name: 'jobId', in: 'path' });
    }
    let gpuHours = 0;
    let cost = 0;
    const placements = rows.map((p) => {
      const item = placementItem(view.pricing, p);
      gpuHours += p.gpuHours;
      if (item.cost !== null) cost += item.cost;
      return item;
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
      if (!(await this.schedules.state(againstId)))
        throw new NotFoundError('schedule', againstId, { name: 'against', in: 'query' });
    } else {
      againstId = await new ScheduleRepository(this.db).publishedPlanId(id);
    }
    const full = await this.cache.diff(id, againstId, () => this.computeDiff(id, candidate, againstId));
    // Placements never change, statuses do: read the base's status fresh.
    const againstState = againstId ? await this.schedules.state(againstId) : undefined;
    return {
      ...full,
      against: full.against && againstState ? { ...full.against, status: againstState.status } : full.against,
      jobs: full.jobs.slice(query.offset, query.offset + query.limit),
      page: { offset: query.offset, limit: query.limit, total: full.jobs.length },
    };
  }

  private async computeDiff(
    id: string,
    candidate: ScheduleFactsView,
    againstId: string | undefined,
  ): Promise<FullDiff> {
    const base = againstId ? await this.cache.factsView(againstId) : undefined;
    const baseState = againstId ? await this.schedules.state(againstId) : undefined;
    const span = (v: ScheduleFactsView) => ({
      horizonStartMs: v.facts.horizonStart.getTime(),
      horizonEndMs: v.facts.horizonEnd.getTime(),
    });
    const { fromMs, toMs } = diffWindow(span(candidate), base && span(base));
    const price = diffPrice(candidate.pricing, base?.pricing ?? null);
    const { before, after, unpricedCells } = priceDiffSides(
      base?.cells,
      candidate.cells,
      { fromMs, toMs },
      price,
    );
    const window = { from: new Date(fromMs), to: new Date(toMs) };
    const changed =
      toMs > fromMs
        ? await this.cells.changedCells(againstId ?? NO_SCHEDULE, id, window.from, window.to)
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
