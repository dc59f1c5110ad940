import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'prices' })
export class PriceEntity {
  @PrimaryColumn('text') zone!: string;
  @PrimaryColumn('text') market!: string;
  @PrimaryColumn({ name: 'interval_start', type: 'timestamptz' }) intervalStart!: Date;
  @PrimaryColumn({ name: 'partner_id', type: 'text' }) partnerId!: string;
  @Column({ name: 'slot_minutes', type: 'integer' }) slotMinutes!: number;
  @Column({ name: 'price_per_mwh', type: 'double precision' }) pricePerMwh!: number;
  @Column({ name: 'price_original', type: 'double precision', nullable: true }) priceOriginal!: number | null;
  @Column({ name: 'currency_original', type: 'text' }) currencyOriginal!: string;
  @Column({ name: 'carbon_g_per_kwh', type: 'double precision', nullable: true }) carbonGPerKwh!:
    number | null;
  @Column({ name: 'coverage_minutes', type: 'integer' }) coverageMinutes!: number;
  @Column({ name: 'issued_at', type: 'timestamptz' }) issuedAt!: Date;
  @Column({ name: 'message_id', type: 'text', nullable: true }) messageId!: string | null;
  @Column({ name: 'ingested_at', type: 'timestamptz' }) ingestedAt!: Date;
}

@Entity({ name: 'price_freshness' })
export class PriceFreshnessEntity {
  @PrimaryColumn('text') zone!: string;
  @PrimaryColumn('text') market!: string;
  @Column({ name: 'latest_interval_start', type: 'timestamptz' }) latestIntervalStart!: Date;
  @Column({ name: 'latest_issued_at', type: 'timestamptz' }) latestIssuedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'load_reports' })
export class LoadReportEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column({ name: 'cluster_id', type: 'text' }) clusterId!: string;
  @Column('text') region!: string;
  @Column('text') zone!: string;
  @Column({ name: 'observed_at', type: 'timestamptz' }) observedAt!: Date;
  @Column({ name: 'gpu_model', type: 'text' }) gpuModel!: string;
  @Column({ name: 'gpu_total', type: 'integer' }) gpuTotal!: number;
  @Column({ name: 'gpu_busy', type: 'integer' }) gpuBusy!: number;
  @Column({ name: 'gpu_schedulable', type: 'integer' }) gpuSchedulable!: number;
  @Column({ name: 'power_kw', type: 'double precision' }) powerKw!: number;
  @Column({ name: 'power_cap_kw', type: 'double precision', nullable: true }) powerCapKw!: number | null;
  @Column({ type: 'double precision' }) pue!: number;
  @Column({ name: 'message_id', type: 'text', nullable: true }) messageId!: string | null;
  @Column({ name: 'ingested_at', type: 'timestamptz' }) ingestedAt!: Date;
}

@Entity({ name: 'cluster_state' })
export class ClusterStateEntity {
  @PrimaryColumn({ name: 'cluster_id', type: 'text' }) clusterId!: string;
  @Column('text') region!: string;
  @Column('text') zone!: string;
  @Column({ name: 'observed_at', type: 'timestamptz' }) observedAt!: Date;
  @Column({ name: 'gpu_model', type: 'text' }) gpuModel!: string;
  @Column({ name: 'gpu_total', type: 'integer' }) gpuTotal!: number;
  @Column({ name: 'gpu_busy', type: 'integer' }) gpuBusy!: number;
  @Column({ name: 'gpu_schedulable', type: 'integer' }) gpuSchedulable!: number;
  @Column({ name: 'power_kw', type: 'double precision' }) powerKw!: number;
  @Column({ name: 'power_cap_kw', type: 'double precision', nullable: true }) powerCapKw!: number | null;
  @Column({ type: 'double precision' }) pue!: number;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
