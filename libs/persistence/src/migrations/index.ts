import { CreatePriceAndLoadTables1732380000001 } from './1732380000001-create-price-and-load-tables.js';
import { CreateFleetAndJobs1732380000002 } from './1732380000002-create-fleet-and-jobs.js';
import { CreateSchedulesAndOutbox1732380000003 } from './1732380000003-create-schedules-and-outbox.js';
import { CreateAuditAndApiKeys1732380000004 } from './1732380000004-create-audit-and-api-keys.js';
import { CreatePlanRequests1732380000005 } from './1732380000005-create-plan-requests.js';
import { FenceWritesByLeaderEpoch1732380000006 } from './1732380000006-fence-writes-by-leader-epoch.js';
import { NotifyPlannerOfChanges1732380000007 } from './1732380000007-notify-planner-of-changes.js';
import { IndexOutboxAndSchedulesForPlanner1732380000008 } from './1732380000008-index-outbox-and-schedules-for-planner.js';
import { CompressLargeJsonWithLz41732380000009 } from './1732380000009-compress-large-json-with-lz4.js';
import { IndexSchedulesAndPlacementsForAdminViews1732380000010 } from './1732380000010-index-schedules-and-placements-for-admin-views.js';
import { AddJobHomeCluster1732380000015 } from './1732380000015-add-job-home-cluster.js';
import { CheckPlacementSchedulesPerStatement1732380000016 } from './1732380000016-check-placement-schedules-per-statement.js';
import { StoreLargeScheduleDocumentsAsJson1732380000017 } from './1732380000017-store-large-schedule-documents-as-json.js';
import { StorePlacementsPerCell1732380000020 } from './1732380000020-store-placements-per-cell.js';
import { StorePricesAsIssuedDayBlocks1732380000018 } from './1732380000018-store-prices-as-issued-day-blocks.js';
import { StorePricesPerIntervalAsSent1732380000021 } from './1732380000021-store-prices-per-interval-as-sent.js';
import { TrackPlacementDelivery1732380000025 } from './1732380000025-track-placement-delivery.js';
import { StoreRealizedUsage1732380000026 } from './1732380000026-store-realized-usage.js';
import { RecordUsageDrift1732380000027 } from './1732380000027-record-usage-drift.js';
import { StoreGridEvents1732380000028 } from './1732380000028-store-grid-events.js';
import { RecordDeadLetters1732380000035 } from './1732380000035-record-dead-letters.js';
import { KeyUsageBySlotClusterJob1732380000036 } from './1732380000036-key-usage-by-slot-cluster-job.js';
import { StoreScheduleJobSetsOnce1732380000038 } from './1732380000038-store-schedule-job-sets-once.js';
import { RecordWhetherOrdersAssignWork1732380000039 } from './1732380000039-record-whether-orders-assign-work.js';
import { CompareCellJobIdsBytewise1732380000042 } from './1732380000042-compare-cell-job-ids-bytewise.js';
import { IndexSentOutboxRowsByAge1732380000044 } from './1732380000044-index-sent-outbox-rows-by-age.js';

/** Every migration in order; new ones are appended here. */
export const migrations = [
  CreatePriceAndLoadTables1732380000001,
  CreateFleetAndJobs1732380000002,
  CreateSchedulesAndOutbox1732380000003,
  CreateAuditAndApiKeys1732380000004,
  CreatePlanRequests1732380000005,
  FenceWritesByLeaderEpoch1732380000006,
  NotifyPlannerOfChanges1732380000007,
  IndexOutboxAndSchedulesForPlanner1732380000008,
  CompressLargeJsonWithLz41732380000009,
  IndexSchedulesAndPlacementsForAdminViews1732380000010,
  AddJobHomeCluster1732380000015,
  CheckPlacementSchedulesPerStatement1732380000016,
  StoreLargeScheduleDocumentsAsJson1732380000017,
  StorePricesAsIssuedDayBlocks1732380000018,
  StorePlacementsPerCell1732380000020,
  StorePricesPerIntervalAsSent1732380000021,
  TrackPlacementDelivery1732380000025,
  StoreRealizedUsage1732380000026,
  RecordUsageDrift1732380000027,
  StoreGridEvents1732380000028,
  RecordDeadLetters1732380000035,
  KeyUsageBySlotClusterJob1732380000036,
  StoreScheduleJobSetsOnce1732380000038,
  RecordWhetherOrdersAssignWork1732380000039,
  CompareCellJobIdsBytewise1732380000042,
  IndexSentOutboxRowsByAge1732380000044,
];
