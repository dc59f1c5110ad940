import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  PlacementCellRepository,
  ScheduleRepository,
  type ScheduleRow,
  ScheduleViewRepository,
} from '#gridshift/persistence';
import { APP_CONFIG } from '#gridshift/platform';
import {
  costCells,
  loadScheduleExplainer,
  pricingFromProblem,
  type ScheduleExplainer,
  type SchedulePriceCurves,
  zonePriceCurves,
  type CostedCell,
  type CostFigures,
  type SchedulePricing,
} from '#gridshift/scheduling';
import type { AdminApiConfig } from '../config.js';
import { PromiseLru } from './lru.js';
import type { DiffView } from './schedules.schemas.js';

/** A diff of two schedules with every changed job (pages are cut from it per request). */
export type FullDiff = Omit<DiffView, 'jobs' | 'page'> & { jobs: DiffView['jobs'] };

/** Everything about a schedule that never changes, computed once and kept (placements are immutable). */
export interface ScheduleFactsView {
  /** The stored row; only its immutable columns are read from here (status comes fresh from `state`). */
  facts: ScheduleRow;
  pricing: SchedulePricing | null;
  cells: CostedCell[];
  byCluster: Map<string, CostFigures>;
  totals: CostFigures;
  unpricedCells: number;
  currency: string | null;
  /** The immutable part of the detail response, serialised once (without braces). */
  detailJson?: string;
}

/**
 * Caches of what never changes once the planner stored a schedule: its snapshot prices, its costed placement
 * cells and its diffs against other schedules. Bounded LRUs (facts: SCHEDULE_CACHE_ENTRIES); concurrent misses
 * share one read.
 */
@Injectable()
export class ScheduleFactsCache {
  private readonly facts: PromiseLru<ScheduleFactsView | undefined>;
  private readonly prices = new PromiseLru<SchedulePricing | null>(4096);
  private readonly diffs = new PromiseLru<FullDiff>(8);
  private readonly curves = new PromiseLru<SchedulePriceCurves | undefined>(256);
  /** A few schedules' explainers: each holds its normalised problem (tens of MB at 20,000 jobs). */
  private readonly explainers = new PromiseLru<ScheduleExplainer | null>(4);
  private readonly schedules: ScheduleRepository;
  private readonly views: ScheduleViewRepository;
  private readonly cells: PlacementCellRepository;

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) config: Pick<AdminApiConfig, 'SCHEDULE_CACHE_ENTRIES'>,
  ) {
    this.facts = new PromiseLru(config.SCHEDULE_CACHE_ENTRIES);
    this.schedules = new ScheduleRepository(db);
    this.views = new ScheduleViewRepository(db);
    this.cells = new PlacementCellRepository(db);
  }

  /** The snapshot prices of a schedule (cached; small). */
  pricing(id: string): Promise<SchedulePricing | null> {
    return this.prices.get(id, async () => pricingFromProblem(await this.views.snapshotPricing(id)));
  }

  /** The zone prices a schedule was planned on, with forecast bands (cached; small); undefined when no schedule. */
  async priceCurves(id: string): Promise<SchedulePriceCurves | undefined> {
    const curves = await this.curves.get(id, async () => {
      const row = await this.views.snapshotZonePrices(id);
      return row && zonePriceCurves(row);
    });
    if (!curves) this.curves.delete(id);
    return curves;
  }

  /** The immutable view of a schedule, or undefined when it does not exist. */
  async factsView(id: string): Promise<ScheduleFactsView | undefined> {
    const view = await this.facts.get(id, async () => {
      const facts = await this.schedules.find(id);
      if (!facts) return undefined;
      const [pricing, cells] = await Promise.all([this.pricing(id), this.cells.totals(id)]);
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
    if (!view) this.facts.delete(id);
    return view;
  }

  /**
   * The explainer of a schedule's jobs, computed from its snapshot and placements (both immutable) on the first
   * request for one of its jobs and kept for the next ones; null when the schedule has no problem to explain on.
   */
  async explainer(id: string): Promise<ScheduleExplainer | null> {
    const explainer = await this.explainers.get(id, () => loadScheduleExplainer(this.db, id));
    if (!explainer) this.explainers.delete(id);
    return explainer;
  }

  /** The diff of `id` against `againstId` (placements never change, so neither does the diff). */
  diff(id: string, againstId: string | undefined, compute: () => Promise<FullDiff>): Promise<FullDiff> {
    return this.diffs.get(`${id}:${againstId ?? '-'}`, compute);
  }
}
