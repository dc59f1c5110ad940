/**
 * @gridshift/scheduling — schedules from stored state, and their lifecycle. Plain functions and classes
 * over a TypeORM DataSource (no Nest), shared by apps/planner and apps/admin-api.
 *
 * Planning phases (each testable alone): loadInputs → buildProblem → solve → checkedPlacements (the solver's
 * whole-GPU placements, verified against every rule) → buildScheduleAccount → storeSchedule → (OutboxRelay
 * publishes). `Planner` sequences them; `LeaderElection` keeps one planner active; `ScheduleLifecycle` approves /
 * rejects; `requestPlan`, `runWhatIf`, `loadSchedule` serve the admin API, with the pure figures of stored
 * schedules: `repricing` (cells at snapshot prices), `diff` (how two schedules differ), `delivered-savings`.
 * SQL lives in libs/persistence; this lib calls its repositories.
 */
export * from './account.js';
export * from './explanations.js';
export * from './assumptions.js';
export * from './capacity-forecast.js';
export * from './changes.js';
export * from './checked-placements.js';
export * from './delivered-savings.js';
export * from './diff.js';
export * from './errors.js';
export * from './grid-event-performance.js';
export * from './grid-events.js';
export * from './feedback.js';
export * from './inputs.js';
export * from './leader.js';
export * from './lifecycle.js';
export * from './notifications.js';
export * from './orders.js';
export * from './planner.js';
export * from './warm-up.js';
export * from './price-resolution.js';
export * from './problem.js';
export * from './json-values.js';
export * from './read.js';
export * from './relay.js';
export * from './repricing.js';
export * from './requests.js';
export * from './checked-placements.js';
export * from './scenario.js';
export * from './settings.js';
export * from './snapshot.js';
export * from './solve.js';
export * from './store.js';
export * from './what-if.js';
export * from './price-curves.js';
