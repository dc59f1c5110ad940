import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'zones' })
export class ZoneEntity {
  @PrimaryColumn('text') id!: string;
  @Column('text') name!: string;
  @Column('text') currency!: string;
  @Column({ name: 'time_zone', type: 'text' }) timeZone!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'exchange_rates' })
export class ExchangeRateEntity {
  @PrimaryColumn('text') currency!: string;
  /** Units of this currency per one unit of the base currency. */
  @Column({ name: 'per_base', type: 'double precision' }) perBase!: number;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'clusters' })
export class ClusterEntity {
  @PrimaryColumn('text') id!: string;
  @Column('text') name!: string;
  @Column('text') region!: string;
  @Column('text') zone!: string;
  @Column({ name: 'gpu_model', type: 'text' }) gpuModel!: string;
  @Column({ name: 'gpu_total', type: 'integer' }) gpuTotal!: number;
  @Column({ name: 'kw_per_gpu', type: 'double precision' }) kwPerGpu!: number;
  @Column({ type: 'double precision' }) pue!: number;
  @Column({ name: 'power_cap_kw', type: 'double precision', nullable: true }) powerCapKw!: number | null;
  @Column({ name: 'latency_ms_by_origin', type: 'jsonb' }) latencyMsByOrigin!: Record<string, number>;
  @Column('boolean') active!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export type JobKind = 'interactive' | 'batch';
export type JobStatus = 'active' | 'paused';
export interface JobPins {
  mustRunIn?: string[];
  mustNotRunIn?: string[];
}

@Entity({ name: 'jobs' })
export class JobEntity {
  @PrimaryColumn('text') id!: string;
  @Column('text') name!: string;
  @Column('text') model!: string;
  @Column('text') kind!: JobKind;
  /** Tokens per second one GPU of each model produces for this job's model, e.g. { H100: 2400 }. */
  @Column({ name: 'tokens_per_second_per_gpu', type: 'jsonb' }) tokensPerSecondPerGpu!: Record<
    string,
    number
  >;
  @Column({ name: 'tokens_per_hour', type: 'double precision', nullable: true }) tokensPerHour!:
    number | null;
  /** Optional hour-of-day multipliers (24 values) applied to tokensPerHour for interactive jobs. */
  @Column({ name: 'demand_profile', type: 'jsonb', nullable: true }) demandProfile!: number[] | null;
  @Column({ name: 'total_tokens', type: 'double precision', nullable: true }) totalTokens!: number | null;
  @Column({ name: 'window_start', type: 'timestamptz', nullable: true }) windowStart!: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) deadline!: Date | null;
  @Column('text') origin!: string;
  @Column({ name: 'latency_sla_ms', type: 'double precision', nullable: true }) latencySlaMs!: number | null;
  /** Zones the job's data may be processed in; empty = anywhere. */
  @Column({ type: 'jsonb' }) residency!: string[];
  @Column('text') tier!: string;
  @Column({ name: 'max_gpus', type: 'integer' }) maxGpus!: number;
  /** Where the job runs without gridshift (the home baseline); null = its first allowed cluster. */
  @Column({ name: 'home_cluster_id', type: 'text', nullable: true }) homeClusterId!: string | null;
  @Column({ type: 'jsonb' }) pins!: JobPins;
  @Column('text') status!: JobStatus;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
