/**
 * Value types of gridshift's tables that code outside libs/persistence names. The tables themselves are
 * defined by the migrations; repositories read and write them with SQL and return plain typed rows.
 */

/** What an API key may do (api_keys.role). */
export type ApiRole = 'viewer' | 'operator' | 'admin';

/** Life of a stored schedule (schedules.status). */
export type ScheduleStatus = 'draft' | 'approved' | 'published' | 'superseded' | 'rejected' | 'what-if';

/** A plan (versioned, can be approved) or an operator's what-if (never published) (schedules.kind). */
export type ScheduleKind = 'plan' | 'what-if';

/** jobs.kind: interactive serving (per-slot demand) or batch inference (total work by a deadline). */
export type JobKind = 'interactive' | 'batch';
/** jobs.status: paused jobs are not planned. */
export type JobStatus = 'active' | 'paused';
/** jobs.pins: operator overrides of where a job may run. */
export interface JobPins {
  mustRunIn?: string[];
  mustNotRunIn?: string[];
}

/** plan_requests.trigger: an operator asked (manual) or a pin/forbid changed (override). */
export type PlanRequestTrigger = 'manual' | 'override';
/** plan_requests.status. */
export type PlanRequestStatus = 'pending' | 'running' | 'done' | 'failed';
