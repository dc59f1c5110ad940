import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { counter, gauge, type Logger } from '#gridshift/observability';
import { DeliveryRepository, UsageRepository } from '#gridshift/persistence';
import { detectDrift, type DriftFinding, type DriftThresholds } from '#gridshift/scheduling';

export interface DeliveryFeedbackOptions {
  ackTimeoutSeconds: number;
  maxResends: number;
  drift: DriftThresholds;
}

/**
 * The planner's side of the closed loop: resends the orders the data centers did not acknowledge in time (the
 * relay sends them again with the same message-id), measures what stays unacknowledged, and finds usage drift
 * against the schedule in force (once per schedule).
 */
export class DeliveryFeedback {
  private readonly deliveries: DeliveryRepository;
  private readonly usage: UsageRepository;
  private readonly metrics;

  constructor(
    private readonly dataSource: DataSource,
    registry: Registry,
    private readonly logger: Logger,
    private readonly options: DeliveryFeedbackOptions,
  ) {
    this.deliveries = new DeliveryRepository(dataSource);
    this.usage = new UsageRepository(dataSource);
    this.metrics = {
      unacknowledged: gauge(
        registry,
        'gridshift_delivery_unacknowledged',
        'Newest orders per cluster not acknowledged within PLANNER_ACK_TIMEOUT_SECONDS of their last send',
      ),
      oldestAge: gauge(
        registry,
        'gridshift_delivery_oldest_unacknowledged_seconds',
        'Seconds since the last send of the oldest of them (0 when none)',
      ),
      resends: counter(
        registry,
        'gridshift_delivery_resends_total',
        'Unacknowledged orders sent again with the same message-id',
      ),
      drift: counter(
        registry,
        'gridshift_planner_drift_findings_total',
        'Schedules in force whose realized usage departed beyond the drift threshold',
      ),
    };
  }

  /** Measures unacknowledged orders and resends those still under the resend limit; returns how many. */
  async resendUnacknowledged(epoch: number): Promise<number> {
    const { ackTimeoutSeconds, maxResends } = this.options;
    const pending = await this.deliveries.unacknowledged(ackTimeoutSeconds);
    this.metrics.unacknowledged.set(pending.count);
    this.metrics.oldestAge.set(pending.count > 0 ? pending.oldestAgeSeconds : 0);
    if (pending.count === 0 || maxResends === 0) return 0;
    const resent = await this.dataSource.transaction(async (manager) => {
      // The outbox is fenced: a deposed leader's resend is refused by the database.
      await manager.query(`select set_config('gridshift.leader_epoch', $1, true)`, [String(epoch)]);
      return new DeliveryRepository(manager).resendUnacknowledged(ackTimeoutSeconds, maxResends, manager);
    });
    if (resent.length > 0) {
      this.metrics.resends.inc(resent.length);
      this.logger.warn(
        { orders: resent.slice(0, 20), timeoutSeconds: ackTimeoutSeconds },
        'orders not acknowledged in time: sending them again with the same message-id',
      );
    }
    return resent.length;
  }

  /** The drift of the schedule in force, when it is new (recorded, so it triggers one re-plan); else null. */
  async newDrift(scheduleId: string, version: number): Promise<DriftFinding | null> {
    const cells = await this.usage.compareWithSchedule(scheduleId, new Date());
    const finding = detectDrift(cells, this.options.drift, version);
    if (finding === null) return null;
    const first = await this.usage.recordDrift({
      scheduleId,
      version,
      plannedGpuHours: finding.plannedGpuHours,
      realizedGpuHours: finding.realizedGpuHours,
      cells: finding.cells,
      evidence: createHash('sha256')
        .update(cells.map((c) => `${c.clusterId}|${c.slotStartUtc}|${c.realizedGpuHours}`).join('\n'))
        .digest('hex'),
    });
    if (!first) return null;
    this.metrics.drift.inc();
    return finding;
  }
}
