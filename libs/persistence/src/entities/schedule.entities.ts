import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './transformers.js';

export type ScheduleStatus = 'draft' | 'approved' | 'published' | 'superseded' | 'rejected' | 'what-if';

@Entity({ name: 'planner_leases' })
export class PlannerLeaseEntity {
  @PrimaryColumn('text') name!: string;
  @Column('text') holder!: string;
  @Column({ type: 'bigint', transformer: bigintNumber }) epoch!: number;
  @Column({ name: 'lease_until', type: 'timestamptz' }) leaseUntil!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'schedules' })
export class ScheduleEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'integer', nullable: true }) version!: number | null;
  @Column('text') kind!: 'plan' | 'what-if';
  @Column('text') status!: ScheduleStatus;
  @Column('text') trigger!: string;
  @Column({ name: 'leader_epoch', type: 'bigint', transformer: bigintNumber }) leaderEpoch!: number;
  @Column({ name: 'horizon_start', type: 'timestamptz' }) horizonStart!: Date;
  @Column({ name: 'horizon_end', type: 'timestamptz' }) horizonEnd!: Date;
  @Column({ name: 'slot_minutes', type: 'integer' }) slotMinutes!: number;
  @Column({ name: 'input_snapshot', type: 'json' }) inputSnapshot!: unknown;
  @Column({ name: 'input_hash', type: 'text' }) inputHash!: string;
  @Column({ name: 'solver_stats', type: 'jsonb' }) solverStats!: unknown;
  @Column({ type: 'jsonb' }) totals!: unknown;
  @Column({ type: 'jsonb' }) baselines!: unknown;
  @Column({ type: 'jsonb' }) savings!: unknown;
  @Column({ type: 'jsonb' }) assumptions!: unknown[];
  @Column({ type: 'jsonb' }) shortfalls!: unknown[];
  @Column({ type: 'json' }) explanations!: unknown[];
  @Column({ type: 'double precision' }) objective!: number;
  @Column({ name: 'supersedes_version', type: 'integer', nullable: true }) supersedesVersion!: number | null;
  @Column({ type: 'jsonb', nullable: true }) approval!: unknown;
  @Column({ name: 'approved_at', type: 'timestamptz', nullable: true }) approvedAt!: Date | null;
  @Column({ name: 'approved_by', type: 'text', nullable: true }) approvedBy!: string | null;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  @Column({ name: 'rejected_at', type: 'timestamptz', nullable: true }) rejectedAt!: Date | null;
  @Column({ name: 'rejected_by', type: 'text', nullable: true }) rejectedBy!: string | null;
  @Column({ name: 'rejected_reason', type: 'text', nullable: true }) rejectedReason!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity({ name: 'placements' })
export class PlacementEntity {
  @PrimaryColumn({ name: 'schedule_id', type: 'uuid' }) scheduleId!: string;
  @PrimaryColumn({ name: 'cluster_id', type: 'text' }) clusterId!: string;
  @PrimaryColumn({ name: 'slot_start', type: 'timestamptz' }) slotStart!: Date;
  @PrimaryColumn({ name: 'job_id', type: 'text' }) jobId!: string;
  @Column('integer') gpus!: number;
  @Column({ name: 'gpu_hours', type: 'double precision' }) gpuHours!: number;
}

@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column({ name: 'message_id', type: 'text' }) messageId!: string;
  @Column('text') topic!: string;
  @Column({ name: 'message_key', type: 'text' }) messageKey!: string;
  @Column({ type: 'json' }) payload!: unknown;
  @Column({ type: 'jsonb' }) headers!: Record<string, string>;
  @Column({ name: 'schedule_id', type: 'uuid' }) scheduleId!: string;
  @Column({ name: 'schedule_version', type: 'integer' }) scheduleVersion!: number;
  @Column({ name: 'cluster_id', type: 'text' }) clusterId!: string;
  @Column({ name: 'leader_epoch', type: 'bigint', transformer: bigintNumber }) leaderEpoch!: number;
  @Column('text') status!: 'pending' | 'sent';
  @Column('integer') attempts!: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz' }) nextAttemptAt!: Date;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt!: Date | null;
}
