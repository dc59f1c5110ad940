import { AuditLogEntity, ApiKeyEntity } from './access.entities.js';
import { ClusterEntity, ExchangeRateEntity, JobEntity, ZoneEntity } from './fleet.entities.js';
import {
  ClusterStateEntity,
  LoadReportEntity,
  PriceEntity,
  PriceFreshnessEntity,
} from './market-data.entities.js';
import { OutboxEntity, PlacementEntity, PlannerLeaseEntity, ScheduleEntity } from './schedule.entities.js';
import { PlanRequestEntity } from './planning.entities.js';

export * from './access.entities.js';
export * from './fleet.entities.js';
export * from './market-data.entities.js';
export * from './schedule.entities.js';
export * from './planning.entities.js';

/** Every entity, for DataSource options. */
export const entities = [
  PriceEntity,
  PriceFreshnessEntity,
  LoadReportEntity,
  ClusterStateEntity,
  ZoneEntity,
  ExchangeRateEntity,
  ClusterEntity,
  JobEntity,
  PlannerLeaseEntity,
  ScheduleEntity,
  PlacementEntity,
  OutboxEntity,
  ApiKeyEntity,
  AuditLogEntity,
  PlanRequestEntity,
];
