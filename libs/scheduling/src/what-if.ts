import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ScheduleRepository } from '#gridshift/persistence';
import { buildScheduleAccount } from './account.js';
import { NothingToPlanError } from './errors.js';
import { loadInputs, planningNow } from './inputs.js';
import { dayAheadIssues } from './planner.js';
import { buildProblem } from './problem.js';
import { loadSchedule, loadScheduleInForce, type ScheduleView } from './read.js';
import { checkedPlacements } from './checked-placements.js';
import { applyScenario, parseScenario } from './scenario.js';
import { DEFAULT_PLANNING_SETTINGS, type PlanningSettings } from './settings.js';
import { buildSnapshot, marketSignature, snapshotDocument } from './snapshot.js';
import { solve, solveInWorker, type SolveFn } from './solve.js';
import { storeSchedule } from './store.js';

export interface WhatIfRequest {
  /** Validated here (see `WhatIfScenarioSchema`); a bad field throws `InvalidScenarioError`. */
  scenario: unknown;
  requestedBy: string;
  reason?: string;
  /** Default: the settings of the newest plan (so the what-if matches the planner), else the defaults. */
  settings?: PlanningSettings;
  /** Default: the planning clock of those settings. */
  now?: Date;
  solve?: SolveFn;
}

/**
 * Plans on a modified scenario: the same inputs as the planner (same settings and clock), the scenario
 * applied, solved off the main thread, stored as kind/status `what-if` (never approved or published) with
 * an audit row, compared with the schedule in force. Returns the stored schedule with its placements.
 */
export async function runWhatIf(dataSource: DataSource, request: WhatIfRequest): Promise<ScheduleView> {
  const scenario = parseScenario(request.scenario);
  const settings = request.settings ?? (await latestPlanSettings(dataSource)) ?? DEFAULT_PLANNING_SETTINGS;
  const now = request.now ?? (await planningNow(dataSource, settings.clock));
  const [loaded, previous, dayAhead] = await Promise.all([
    loadInputs(dataSource, { settings, now }),
    loadScheduleInForce(dataSource),
    dayAheadIssues(dataSource),
  ]);
  if (loaded.clusters.length === 0) throw new NothingToPlanError('no active cluster to plan for');
  const inputs = applyScenario(loaded, scenario);
  const built = buildProblem(inputs, { previous: previous?.placements });
  const snapshot = buildSnapshot(
    inputs,
    built.problem,
    marketSignature(inputs, dayAhead),
    previous?.id ?? null,
    scenario,
  );
  const document = snapshotDocument(snapshot);
  const result = await solve(built.problem, settings.solveTimeLimitMs, request.solve ?? solveInWorker);
  const checked = checkedPlacements(built.problem, result);
  const figures = buildScheduleAccount(result, checked.placements, previous, checked.warnings);
  const id = randomUUID();
  const slotMs = inputs.slotMinutes * 60_000;
  await storeSchedule(
    dataSource,
    {
      id,
      kind: 'what-if',
      trigger: 'what-if',
      leaderEpoch: 0,
      horizonStartUtc: inputs.horizonStartUtc,
      horizonEndUtc: new Date(
        Date.parse(inputs.horizonStartUtc) + inputs.slotStartsUtc.length * slotMs,
      ).toISOString(),
      slotMinutes: inputs.slotMinutes,
      snapshot,
      document,
      inputHash: document.hash,
      account: figures,
      assumptions: [...inputs.assumptions, ...built.assumptions],
      approval: null,
      phaseMs: {},
      placements: checked.placements,
    },
    {
      writerEpoch: null,
      audit: {
        actor: request.requestedBy,
        action: 'schedule.what-if',
        targetType: 'schedule',
        targetId: id,
        after: { scenario, totalCost: figures.totals.totalCost, comparedWith: previous?.version ?? null },
        reason: request.reason ?? null,
      },
    },
  );
  return loadSchedule(dataSource, id);
}

/** The planning settings stored with the newest plan, or null before the first plan. */
export async function latestPlanSettings(dataSource: DataSource): Promise<PlanningSettings | null> {
  const schedules = new ScheduleRepository(dataSource);
  const newest = await schedules.newestPlan();
  const stored = newest && (await schedules.snapshotEntry<PlanningSettings>(newest.id, 'settings'));
  return stored ? { ...DEFAULT_PLANNING_SETTINGS, ...stored } : null;
}
