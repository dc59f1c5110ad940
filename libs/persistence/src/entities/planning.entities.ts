import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './transformers.js';

export type PlanRequestTrigger = 'manual' | 'override';
export type PlanRequestStatus = 'pending' | 'running' | 'done' | 'failed';

/** A re-plan asked for by an operator (manual) or after a pin/forbid change (override). */
@Entity({ name: 'plan_requests' })
export class PlanRequestEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') trigger!: PlanRequestTrigger;
  @Column({ name: 'requested_by', type: 'text' }) requestedBy!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column('text') status!: PlanRequestStatus;
  @Column({ name: 'schedule_id', type: 'uuid', nullable: true }) scheduleId!: string | null;
  @Column({ name: 'claimed_epoch', type: 'bigint', nullable: true, transformer: bigintNumber })
  claimedEpoch!: number | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}
