import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PriceRepository } from '#gridshift/persistence';
import type { Savings } from '#gridshift/placement';
import { DeliveryRepository, GridEventRepository, ScheduleRepository } from '#gridshift/persistence';
import type { Assumption } from './assumptions.js';
import { applyRefusals } from './feedback.js';
import {
  buildScheduleAccount,
  decideApproval,
  type ApprovalDecision,
  type PreviousSchedule,
} from './account.js';
import { loadInputs, planningNow, type PlanningInputs } from './inputs.js';
import { withGridEvents } from './grid-events.js';
import { buildProblem } from './problem.js';
import { loadPlacements, loadScheduleInForceHead } from './read.js';
import { checkedPlacements, type VerifyLevel } from './checked-placements.js';
import type { ApprovalPolicy, PlanningSettings } from './settings.js';
import {
  buildSnapshot,
  marketSignature,
  snapshotDocument,
  type MarketSignature,
  type SerialisedJobSet,
} from './snapshot.js';
import { solve, solveInWorker, type SolveFn } from './solve.js';
import { storeSchedule } from './store.js';
import { warmUpPipeline, type WarmUpOptions, type WarmUpReport } from './warm-up.js';

/** Why a plan was made. */
export type PlanTrigger =
  | 'cron'
  | 'day-ahead'
  | 'price-change'
  | 'capacity-change'
  | 'grid-event'
  | 'manual'
  | 'override'
  | 'startup'
  /** A data center refused (part of) an order. */
  | 'rejection'
  /** Realized usage departed from the schedule in force. */
  | 'drift';

export interface PlannerOptions {
  settings: PlanningSettings;
  approval: ApprovalPolicy;
  /** Default: in a worker thread with `settings.solveTimeLimitMs`. */
  solve?: SolveFn;
  /** A fixed planning clock (tests, replays); default `settings.clock`. */
  now?: () => Date;
  /** How each result is checked before it is stored (default `constraints`). */
  verify?: VerifyLevel;
}

export interface PlanContext {
  /** The leader epoch this plan is written under (fenced by the database). */
  epoch: number;
  /** Plan requests this plan answers. */
  requestIds?: string[];
  /** Do not store a new version when the inputs hash equals the newest plan's (automatic triggers). */
  skipIfUnchanged?: boolean;
  /** Runs right before the store transaction (tests pause a leader here). */
  beforeStore?: () => Promise<void>;
  /** What the trigger found that the plan should state (e.g. the drift that caused it). */
  assumptions?: Assumption[];
}

export type PlanOutcome =
  | {
      status: 'stored';
      trigger: PlanTrigger;
      scheduleId: string;
      version: number;
      scheduleStatus: 'draft' | 'approved' | 'published';
      inputHash: string;
      decision: ApprovalDecision;
      placements: number;
      orders: number;
      /** The schedule's savings against the home baseline (amount and pct null when not comparable). */
      savingsVsHome: Savings | null;
      /** Set when the solve did not reach the optimum and the greedy schedule was used. */
      fallback: 'greedy' | null;
      phaseMs: Record<string, number>;
    }
  | { status: 'skipped'; trigger: PlanTrigger; reason: 'unchanged' | 'nothing-to-plan'; inputHash?: string };

const ms = (from: number) => Math.round((performance.now() - from) * 10) / 10;

/**
 * The planning pipeline — loadInputs → buildProblem → solve → round → account → store (→ the relay
 * publishes). Each phase is a separate function of this library; this class sequences them, keeps the
 * schedule in force cached between plans, and times every phase.
 */
export class Planner {
  private inForce: PreviousSchedule | null | undefined;
  /** The market signature of the newest plan, by its id (a stored snapshot never changes). */
  private planned: { id: string; market: MarketSignature | null } | null = null;
  /** The job set of the last snapshot, serialised: a re-plan with the same jobs reuses its text and hash. */
  private lastJobSet: SerialisedJobSet | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: PlannerOptions,
  ) {}

  get settings(): PlanningSettings {
    return this.options.settings;
  }

  /** The planning clock. */
  async now(): Promise<Date> {
    if (this.options.now) return this.options.now();
    return planningNow(this.dataSource, this.options.settings.clock);
  }

  /** Makes one plan and stores it (auto-approved with its outbox rows when the policy allows). */
  async plan(trigger: PlanTrigger, context: PlanContext): Promise<PlanOutcome> {
    const phaseMs: Record<string, number> = {};
    const { settings } = this.options;
    let t = performance.now();
    const now = await this.now();
    const [loaded, previous, dayAhead, refusals] = await Promise.all([
      loadInputs(this.dataSource, { settings, now }),
      this.scheduleInForce(),
      dayAheadIssues(this.dataSource),
      new DeliveryRepository(this.dataSource).activeExclusions(),
    ]);
    // Jobs the data centers refused stay out of those clusters (until an operator clears the refusal).
    const refused = applyRefusals(loaded, refusals);
    phaseMs.loadInputs = ms(t);
    if (loaded.clusters.length === 0 || (loaded.jobs.length === 0 && previous === null)) {
      return { status: 'skipped', trigger, reason: 'nothing-to-plan' };
    }
    // Demand-response events: caps, price adders, carbon; voluntary ones decided by solving with and without.
    t = performance.now();
    const events = await withGridEvents(this.dataSource, refused.inputs, (candidate) =>
      solve(
        buildProblem(candidate, { previous: previous?.placements }).problem,
        settings.solveTimeLimitMs,
        this.options.solve ?? solveInWorker,
      ),
    );
    const inputs = events.inputs;
    phaseMs.gridEvents = ms(t);

    t = performance.now();
    const built = buildProblem(inputs, { previous: previous?.placements });
    phaseMs.buildProblem = ms(t);

    // The worker solves while this thread builds the snapshot and its hash. Deciding a voluntary grid event may
    // have solved these very inputs already (the same problem: buildProblem is deterministic): reuse that.
    const solveStartedAt = performance.now();
    const solving = events.solved
      ? Promise.resolve(events.solved)
      : solve(built.problem, settings.solveTimeLimitMs, this.options.solve ?? solveInWorker);
    t = performance.now();
    const market = marketSignature(inputs, dayAhead, events.revisions);
    const snapshot = buildSnapshot(inputs, built.problem, market, previous?.id ?? null);
    const document = snapshotDocument(snapshot, this.lastJobSet);
    if (document.jobs) this.lastJobSet = { jobs: built.problem.jobs, part: document.jobs };
    const inputHash = document.hash;
    phaseMs.snapshot = ms(t);
    if (context.skipIfUnchanged) {
      const latest = await new ScheduleRepository(this.dataSource).newestPlan();
      if (latest?.inputHash === inputHash) {
        // Same inputs as the newest plan: the solve's result is not needed.
        solving.catch(() => undefined);
        return { status: 'skipped', trigger, reason: 'unchanged', inputHash };
      }
    }
    const result = await solving;
    phaseMs.solve = ms(solveStartedAt);

    t = performance.now();
    const checked = checkedPlacements(built.problem, result, { verify: this.options.verify });
    phaseMs.round = ms(t);

    t = performance.now();
    const figures = buildScheduleAccount(result, checked.placements, previous, checked.warnings);
    const decision = decideApproval(this.options.approval, figures.comparison, result.status);
    phaseMs.account = ms(t);

    await context.beforeStore?.();
    t = performance.now();
    const id = randomUUID();
    const slotMs = inputs.slotMinutes * 60_000;
    const horizonEndUtc = new Date(
      Date.parse(inputs.horizonStartUtc) + inputs.slotStartsUtc.length * slotMs,
    ).toISOString();
    const stored = await storeSchedule(
      this.dataSource,
      {
        id,
        kind: 'plan',
        trigger,
        leaderEpoch: context.epoch,
        horizonStartUtc: inputs.horizonStartUtc,
        horizonEndUtc,
        slotMinutes: inputs.slotMinutes,
        snapshot,
        document,
        inputHash,
        account: figures,
        assumptions: [
          ...inputs.assumptions,
          ...events.assumptions,
          ...built.assumptions,
          ...refused.assumptions,
          ...(context.assumptions ?? []),
        ],
        approval: decision,
        phaseMs,
        placements: checked.placements,
      },
      {
        writerEpoch: context.epoch,
        approve:
          decision.decision === 'auto-approve'
            ? { actor: 'planner', reason: decision.reasons.join('; ') }
            : undefined,
        planRequestIds: context.requestIds,
      },
    );
    phaseMs.store = ms(t);
    for (const [step, value] of Object.entries(stored.timingsMs)) phaseMs[`store.${step}`] = value;
    // As stored (a JSON round trip, as a read of the column would give; also no aliasing).
    this.planned = { id, market: JSON.parse(JSON.stringify(market)) as MarketSignature };
    if (stored.approval) {
      this.inForce = {
        id,
        version: stored.version!,
        horizonStartUtc: inputs.horizonStartUtc,
        horizonEndUtc,
        placements: checked.placements,
        totals: figures.totals,
      };
    }
    return {
      status: 'stored',
      trigger,
      scheduleId: id,
      version: stored.version!,
      scheduleStatus: stored.status as 'draft' | 'approved' | 'published',
      inputHash,
      decision,
      placements: checked.placements.length,
      orders: stored.approval?.orders ?? 0,
      savingsVsHome: result.savings?.vsHome ?? null,
      fallback: figures.solver.fallback ?? null,
      phaseMs,
    };
  }

  /**
   * The market signature stored with the newest plan, or null before the first plan. Cached by the plan's
   * id: reading it out of the stored snapshot (megabytes of json) costs tens of ms per change notification.
   */
  async plannedSignature(): Promise<MarketSignature | null> {
    const schedules = new ScheduleRepository(this.dataSource);
    const id = (await schedules.newestPlan())?.id;
    if (id === undefined) return null;
    if (this.planned?.id !== id) {
      this.planned = { id, market: await schedules.snapshotEntry<MarketSignature>(id, 'market') };
    }
    return this.planned.market;
  }

  /**
   * Whether the active grid events differ from the revisions the newest plan used, over that plan's horizon (one
   * small query; the `grid-event` trigger's check before re-planning — a replayed revision changes nothing). True
   * before the first plan.
   */
  async gridEventsChanged(): Promise<boolean> {
    const planned = await this.plannedSignature();
    if (planned === null) return true;
    const slotMs = Date.parse(planned.slotStartsUtc[1] ?? '') - Date.parse(planned.slotStartsUtc[0] ?? '');
    const from = Date.parse(planned.horizonStartUtc);
    // Up to the end of the planned horizon or of the one a plan would have now, whichever is later.
    const to = Math.max(
      from + planned.slotStartsUtc.length * (Number.isFinite(slotMs) ? slotMs : 3_600_000),
      (await this.now()).getTime() + this.options.settings.horizonHours * 3_600_000,
    );
    const active = await new GridEventRepository(this.dataSource).activeBetween(new Date(from), new Date(to));
    const before = planned.gridEventRevisions ?? {};
    if (active.length !== Object.keys(before).length) return true;
    return active.some((e) => before[e.eventId] !== e.modificationNumber);
  }

  /** The market as it is now (prices, capacity and grid events), for change detection. */
  async currentSignature(): Promise<{ signature: MarketSignature; inputs: PlanningInputs }> {
    const now = await this.now();
    const [loaded, dayAhead] = await Promise.all([
      loadInputs(this.dataSource, { settings: this.options.settings, now, withJobs: false }),
      dayAheadIssues(this.dataSource),
    ]);
    const { inputs, revisions } = await withGridEvents(this.dataSource, loaded, undefined, {
      baselines: false,
    });
    return { signature: marketSignature(inputs, dayAhead, revisions), inputs };
  }

  /**
   * Runs the pipeline's phases on the stored inputs without storing anything, so the first real plans after a
   * start run warm code (`warmUpPipeline`); the clock is this planner's.
   */
  warmUp(options: Omit<WarmUpOptions, 'now'>): Promise<WarmUpReport> {
    return warmUpPipeline(this.dataSource, this.options.settings, () => this.scheduleInForce(), {
      ...options,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
  }

  /** The schedule in force, cached; re-read when an operator approved another one meanwhile. */
  async scheduleInForce(): Promise<PreviousSchedule | null> {
    const head = await loadScheduleInForceHead(this.dataSource);
    if (!head) return (this.inForce = null);
    if (this.inForce?.id === head.id) return this.inForce;
    this.inForce = { ...head, placements: await loadPlacements(this.dataSource, head.id) };
    return this.inForce;
  }
}

/** Newest day-ahead issue time per zone (price_freshness), for "a new day-ahead curve arrived". */
export async function dayAheadIssues(db: DataSource): Promise<Record<string, string>> {
  const rows = await new PriceRepository(db).latestDayAheadIssues();
  return Object.fromEntries(rows.map((r) => [r.zone, r.issuedAt.toISOString()]));
}
