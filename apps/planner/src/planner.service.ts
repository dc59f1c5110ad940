// The planner app's wiring: leadership, triggers (schedule, notifications, change checks, grid events,
// rejections, drift), the relay and resends, and metrics; each piece is small and they share one lifecycle.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { counter, gauge, histogram, type Logger } from '#gridshift/observability';
import { APP_CONFIG, KAFKA, LOGGER, METRICS, TopicProvisioner } from '#gridshift/platform';
import {
  claimPlanRequests,
  detectSignificantChange,
  failPlanRequests,
  isStaleEpochError,
  LeaderElection,
  OutboxRelay,
  Planner,
  PlannerNotifications,
  solveAdaptive,
  type Assumption,
  type PlannerNotification,
  type PlanOutcome,
  type PlanTrigger,
} from '#gridshift/scheduling';
import {
  approvalPolicy,
  changeThresholds,
  planningSettings,
  relayTransactionalId,
  type PlannerConfig,
} from './config.js';
import { Debouncer } from './debouncer.js';
import { DeliveryFeedback } from './delivery-feedback.js';
import { PriceFreshnessGauges } from './price-freshness.js';
import { Retention } from './retention.js';

/** Work the planner does, highest priority first (a demand-response event is answered before anything else). */
type Work = 'grid-event' | 'requests' | 'rejection' | 'cron' | 'changes' | 'drift';
const WORK_ORDER: Work[] = ['grid-event', 'requests', 'rejection', 'cron', 'changes', 'drift'];

/**
 * The planner process: campaigns for leadership; while leading it answers plan requests, plans on the
 * cron and on significant price/capacity changes (debounced), and runs the outbox relay. Plans run one at
 * a time; work that arrives meanwhile is coalesced and runs next.
 */
@Injectable()
export class PlannerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly planner: Planner;
  private readonly holderId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private election: LeaderElection | null = null;
  private relay: OutboxRelay | null = null;
  private notifications: PlannerNotifications | null = null;
  private readonly pending = new Set<Work>();
  private draining: Promise<void> | null = null;
  private readonly changes: Debouncer;
  private readonly usageChanges: Debouncer;
  private readonly feedback: DeliveryFeedback;
  private readonly metrics;
  private readonly priceFreshness: PriceFreshnessGauges;
  private readonly retention: Retention;
  private retaining: Promise<void> | null = null;
  private warming: Promise<void> | null = null;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: PlannerConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly registry: Registry,
    private readonly dataSource: DataSource,
    private readonly topics: TopicProvisioner,
  ) {
    const fixedNow = config.PLANNER_NOW;
    this.planner = new Planner(dataSource, {
      settings: planningSettings(config),
      approval: approvalPolicy(config),
      ...(fixedNow ? { now: () => new Date(fixedNow) } : {}),
      // An in-thread solve must not block the event loop for long: the lease connection (renewed every third of
      // the lease, closed by the server after a lease of silence) would idle out. After one that took over half
      // the lease the next ones go to the worker (≈ 2 s more each on a loaded machine) until one is quick again.
      solve: solveAdaptive(config.PLANNER_SOLVE_IN_THREAD_MAX_JOBS, undefined, config.PLANNER_LEASE_MS / 2),
    });
    this.priceFreshness = new PriceFreshnessGauges(dataSource, registry);
    this.changes = new Debouncer(config.PLANNER_DEBOUNCE_MS, config.PLANNER_DEBOUNCE_MAX_MS, () =>
      this.kick('changes'),
    );
    this.usageChanges = new Debouncer(config.PLANNER_DEBOUNCE_MS, config.PLANNER_DEBOUNCE_MAX_MS, () =>
      this.kick('drift'),
    );
    this.feedback = new DeliveryFeedback(dataSource, registry, logger, {
      ackTimeoutSeconds: config.PLANNER_ACK_TIMEOUT_SECONDS,
      maxResends: config.PLANNER_ACK_MAX_RESENDS,
      drift: { pct: config.PLANNER_DRIFT_PCT, minGpuHours: config.PLANNER_DRIFT_MIN_GPU_HOURS },
    });
    this.retention = new Retention(dataSource, registry, {
      retentionDays: config.PLANNER_RETENTION_DAYS,
      batchSize: config.PLANNER_RETENTION_BATCH_SIZE,
    });
    this.metrics = {
      plans: counter(registry, 'gridshift_planner_plans_total', 'Plans by trigger and outcome', [
        'trigger',
        'outcome',
      ]),
      planSeconds: histogram(registry, 'gridshift_planner_plan_seconds', 'Whole plan time (load → store)', [
        'trigger',
      ]),
      solveSeconds: histogram(registry, 'gridshift_planner_solve_seconds', 'Solve time of a plan'),
      savingsPct: gauge(
        registry,
        'gridshift_planner_savings_vs_home_pct',
        'Savings against the home baseline of the newest stored schedule it serves the same work as, %',
      ),
      savingsComparable: gauge(
        registry,
        'gridshift_planner_savings_vs_home_comparable',
        '1 when the home baseline of the newest stored schedule serves as much work as it (savings shown), else 0',
      ),
      leader: gauge(registry, 'gridshift_planner_is_leader', '1 while this process is the active planner'),
      epoch: gauge(
        registry,
        'gridshift_planner_leader_epoch',
        'Leader epoch of this process (0 when following)',
      ),
      fallbackSolves: counter(
        registry,
        'gridshift_planner_fallback_solves_total',
        'Stored plans whose solve fell back to the greedy schedule (no optimum within limits)',
        ['trigger'],
      ),
      staleRejections: counter(
        registry,
        'gridshift_planner_stale_epoch_rejections_total',
        'Writes the database rejected because this process no longer held the newest epoch',
      ),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.leader.set(0);
    const { DATABASE_URL: connectionString, DATABASE_SCHEMA: schema } = this.config;
    this.relay = new OutboxRelay({
      dataSource: this.dataSource,
      kafka: this.kafka,
      topicPrefix: this.config.KAFKA_TOPIC_PREFIX ?? '',
      logger: this.logger,
      registry: this.registry,
      batchSize: this.config.PLANNER_RELAY_BATCH_SIZE,
      pollMs: this.config.PLANNER_RELAY_POLL_MS,
      transactionalId: relayTransactionalId(this.config),
      stillLeading: () => this.election?.isLeader === true,
      beforeSend:
        this.config.PLANNER_TEST_RELAY_SEND_DELAY_MS > 0
          ? async () => {
              const delayMs = this.config.PLANNER_TEST_RELAY_SEND_DELAY_MS;
              this.logger.warn({ delayMs }, 'test hook: delaying the relay send');
              await new Promise((resolve) => setTimeout(resolve, delayMs));
            }
          : undefined,
    });
    this.notifications = new PlannerNotifications({
      connectionString,
      schema,
      logger: this.logger,
      onNotification: (topic) => this.onNotification(topic),
      onReconnect: () => {
        this.kick('requests');
        this.changes.signal();
      },
    });
    await this.notifications.start();
    this.election = new LeaderElection({
      connectionString,
      schema,
      holderId: this.holderId,
      leaseMs: this.config.PLANNER_LEASE_MS,
      logger: this.logger,
      onElected: (epoch) => this.onElected(epoch),
      onDemoted: () => this.onDemoted(),
    });
    this.logger.info({ holder: this.holderId, cron: this.config.PLANNER_CRON }, 'planner started');
    // Warm first, then campaign: the process serves /health meanwhile, and a standby (warm since its own start)
    // takes over from a failed leader as before; only a process that would lead at once waits ≤ the budget.
    if (this.config.PLANNER_WARMUP_MS > 0) {
      this.warming = this.warmUp().finally(() => {
        if (!this.stopping) this.election?.start();
      });
    } else this.election.start();
  }

  /**
   * Warm-up before campaigning: the pipeline on the stored inputs, nothing stored, at most
   * `PLANNER_WARMUP_ROUNDS` rounds, none started after `PLANNER_WARMUP_MS`. Failures are logged and ignored.
   */
  private async warmUp(): Promise<void> {
    try {
      const report = await this.planner.warmUp({
        budgetMs: this.config.PLANNER_WARMUP_MS,
        maxRounds: this.config.PLANNER_WARMUP_ROUNDS,
        maxInThreadJobs: this.config.PLANNER_SOLVE_IN_THREAD_MAX_JOBS,
        cancelled: () => this.stopping,
      });
      this.logger.info(report, 'planner warm-up done');
    } catch (error) {
      this.logger.warn({ err: error }, 'planner warm-up failed (the first plans run cold)');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.changes.cancel();
    this.usageChanges.cancel();
    await this.warming; // then the election is not started (stopping)
    await this.election?.stop();
    await this.draining;
    await this.retaining;
    await this.notifications?.stop();
    await this.relay?.stop();
    this.logger.info('planner stopped');
  }

  /** Cron tick: plan the rolling horizon (skipped when the inputs did not change). */
  onCron(): void {
    this.kick('cron');
  }

  /** Poll tick: catches notifications that were missed and refreshes backlog metrics. */
  async onPoll(): Promise<void> {
    await this.priceFreshness
      .refresh()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'price freshness not measured'));
    const epoch = this.election?.epoch ?? null;
    if (epoch === null) return;
    if (this.relay && !this.relay.isRunning) await this.startRelay(epoch);
    this.kick('requests');
    this.kick('changes');
    this.kick('drift');
    await this.relay?.backlog().catch(() => undefined);
    // Unacknowledged orders: measured, and the newest per cluster sent again (same message-id) under our epoch.
    const resent = await this.feedback.resendUnacknowledged(epoch).catch((error: unknown) => {
      if (isStaleEpochError(error)) this.metrics.staleRejections.inc();
      this.logger.warn({ err: error }, 'unacknowledged orders not checked');
      return 0;
    });
    if (resent > 0) this.relay?.wake();
  }

  /** Retention tick: the leader deletes what the retention allows (one pass at a time; failures are logged). */
  async onRetention(): Promise<void> {
    if (!this.election?.isLeader || !this.retention.enabled || this.retaining) return;
    this.retaining = this.retention
      .run()
      .then((pruned) => {
        if (pruned.outbox + pruned.inputParts > 0) this.logger.info({ pruned }, 'retention: rows deleted');
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'retention pass failed; next tick retries'))
      .finally(() => {
        this.retaining = null;
      });
    await this.retaining;
  }

  private onNotification(topic: PlannerNotification): void {
    switch (topic) {
      case 'plan-request':
        this.kick('requests');
        break;
      case 'prices':
      case 'load':
        if (this.election?.isLeader) this.changes.signal();
        break;
      case 'grid-events':
        // Demand-response events are answered at once: no debounce, and instead of the full change detection
        // (which loads every input) one query compares the active events' revisions with the newest plan's.
        // The plan reads every current input, so a pending price or load change is planned with it.
        this.changes.cancel();
        this.kick('grid-event');
        break;
      case 'outbox':
        this.relay?.wake();
        break;
      case 'rejection':
        this.kick('rejection');
        break;
      case 'usage':
        if (this.election?.isLeader) this.usageChanges.signal();
        break;
    }
  }

  private async onElected(epoch: number): Promise<void> {
    this.metrics.leader.set(1);
    this.metrics.epoch.set(epoch);
    await this.startRelay(epoch);
    this.kick('requests');
    this.kick('changes');
    void this.onRetention(); // a first pass now, not one interval after a (re)start; it never throws
  }

  /** Starts the relay; when Kafka is unreachable the leader keeps planning and the poll retries. */
  private async startRelay(epoch: number): Promise<void> {
    try {
      await this.topics.ensure(); // here, not at boot: the planner serves /health while Kafka is away
      await this.relay?.start(epoch);
    } catch (error) {
      this.logger.error({ err: error }, 'outbox relay could not start; retrying on the next poll');
    }
  }

  private async onDemoted(): Promise<void> {
    this.metrics.leader.set(0);
    this.metrics.epoch.set(0);
    this.changes.cancel();
    this.usageChanges.cancel();
    await this.relay?.stop();
  }

  private kick(work: Work): void {
    if (!this.election?.isLeader) return;
    this.pending.add(work);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
      if (this.pending.size > 0) this.kick(WORK_ORDER.find((w) => this.pending.has(w))!);
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const epoch = this.election?.epoch ?? null;
      const work = WORK_ORDER.find((w) => this.pending.has(w));
      if (epoch === null || work === undefined) {
        if (epoch === null) this.pending.clear();
        return;
      }
      this.pending.delete(work);
      try {
        await this.run(work, epoch);
      } catch (error) {
        if (isStaleEpochError(error)) {
          this.metrics.staleRejections.inc();
          this.logger.error(
            { err: error, epoch },
            'write rejected by the database: stale leader epoch (another planner took over)',
          );
        } else {
          this.logger.error({ err: error, work }, 'planning failed');
        }
      }
    }
  }

  private async run(work: Work, epoch: number): Promise<void> {
    switch (work) {
      case 'requests': {
        const claimed = await claimPlanRequests(this.dataSource, epoch);
        if (claimed.length === 0) return;
        const ids = claimed.map((r) => r.id);
        const trigger: PlanTrigger = claimed.some((r) => r.trigger === 'override') ? 'override' : 'manual';
        try {
          const outcome = await this.plan(trigger, epoch, { requestIds: ids });
          if (outcome.status === 'skipped') {
            await failPlanRequests(this.dataSource, ids, epoch, `nothing to plan (${outcome.reason})`);
          }
        } catch (error) {
          if (!isStaleEpochError(error)) {
            await failPlanRequests(
              this.dataSource,
              ids,
              epoch,
              error instanceof Error ? error.message : String(error),
            );
          }
          throw error;
        }
        return;
      }
      case 'cron':
        await this.plan('cron', epoch, { skipIfUnchanged: true });
        return;
      case 'grid-event':
        if (!(await this.planner.gridEventsChanged())) return;
        await this.plan('grid-event', epoch, { skipIfUnchanged: true });
        return;
      case 'rejection':
        // The refusals are read by the plan itself; unchanged inputs (nothing new refused) store nothing.
        await this.plan('rejection', epoch, { skipIfUnchanged: true });
        return;
      case 'drift': {
        const head = await this.planner.scheduleInForce();
        if (head === null) return;
        const finding = await this.feedback.newDrift(head.id, head.version);
        if (finding === null) return;
        this.logger.info(
          { version: head.version, reason: finding.assumption.message },
          'usage drift detected',
        );
        await this.plan('drift', epoch, { assumptions: [finding.assumption] });
        return;
      }
      case 'changes': {
        const planned = await this.planner.plannedSignature();
        if (planned === null) {
          await this.plan('startup', epoch, { skipIfUnchanged: true });
          return;
        }
        const { signature } = await this.planner.currentSignature();
        const change = detectSignificantChange(planned, signature, changeThresholds(this.config));
        if (!change) return;
        this.logger.info({ trigger: change.trigger, reasons: change.reasons }, 'significant change detected');
        await this.plan(change.trigger, epoch, { skipIfUnchanged: true });
        return;
      }
    }
  }

  private async plan(
    trigger: PlanTrigger,
    epoch: number,
    options: { requestIds?: string[]; skipIfUnchanged?: boolean; assumptions?: Assumption[] },
  ): Promise<PlanOutcome> {
    const endTimer = this.metrics.planSeconds.startTimer({ trigger });
    const delayMs = this.config.PLANNER_TEST_STORE_DELAY_MS;
    try {
      const outcome = await this.planner.plan(trigger, {
        epoch,
        ...options,
        beforeStore:
          delayMs > 0
            ? async () => {
                this.logger.warn({ delayMs, epoch }, 'test hook: delaying the store transaction');
                await new Promise((resolve) => setTimeout(resolve, delayMs));
              }
            : undefined,
      });
      endTimer();
      if (outcome.status === 'stored') {
        this.metrics.plans.inc({
          trigger,
          outcome: outcome.scheduleStatus === 'draft' ? 'draft' : 'approved',
        });
        this.metrics.solveSeconds.observe((outcome.phaseMs.solve ?? 0) / 1000);
        if (outcome.fallback !== null) this.metrics.fallbackSolves.inc({ trigger });
        const vsHome = outcome.savingsVsHome;
        if (vsHome) {
          // A baseline that serves less work is no saving: the pct gauge keeps the last comparable figure.
          this.metrics.savingsComparable.set(vsHome.comparable ? 1 : 0);
          if (vsHome.comparable && vsHome.pct !== null) this.metrics.savingsPct.set(vsHome.pct);
        }
        this.logger.info(
          {
            trigger,
            version: outcome.version,
            status: outcome.scheduleStatus,
            placements: outcome.placements,
            orders: outcome.orders,
            approval: outcome.decision.reasons,
            phaseMs: outcome.phaseMs,
          },
          'schedule stored',
        );
        if (outcome.orders > 0) this.relay?.wake();
      } else {
        this.metrics.plans.inc({ trigger, outcome: `skipped-${outcome.reason}` });
        this.logger.debug({ trigger, reason: outcome.reason }, 'plan skipped');
      }
      return outcome;
    } catch (error) {
      endTimer();
      this.metrics.plans.inc({ trigger, outcome: isStaleEpochError(error) ? 'stale-epoch' : 'failed' });
      throw error;
    }
  }
}
