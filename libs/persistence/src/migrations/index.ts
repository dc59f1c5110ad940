import { CreatePriceAndLoadTables1732380000001 } from './1732380000001-create-price-and-load-tables.js';
import { CreateFleetAndJobs1732380000002 } from './1732380000002-create-fleet-and-jobs.js';
import { CreateSchedulesAndOutbox1732380000003 } from './1732380000003-create-schedules-and-outbox.js';
import { CreateAuditAndApiKeys1732380000004 } from './1732380000004-create-audit-and-api-keys.js';

/** Every migration in order; new ones are appended here. */
export const migrations = [
  CreatePriceAndLoadTables1732380000001,
  CreateFleetAndJobs1732380000002,
  CreateSchedulesAndOutbox1732380000003,
  CreateAuditAndApiKeys1732380000004,
];
