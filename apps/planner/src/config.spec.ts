import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#gridshift/config';
import { approvalPolicy, planningSettings, plannerConfigShape } from './config.js';

const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' };

describe('planner config', () => {
  it('has documented defaults', () => {
    const config = loadConfig(plannerConfigShape, base);
    expect(config.PLANNER_CRON).toBe('0 * * * *');
    expect(planningSettings(config)).toMatchObject({
      horizonHours: 24,
      slotMinutes: 60,
      clock: 'wall',
      forecastLookbackHours: 1344,
    });
    expect(approvalPolicy(config)).toEqual({
      mode: 'auto',
      maxMovedPct: 50,
      maxMovedGpuHours: null,
      maxCostIncreasePct: 25,
    });
    expect(config).toMatchObject({
      PLANNER_RETENTION_DAYS: 30,
      PLANNER_RETENTION_INTERVAL_MS: 3_600_000,
      PLANNER_RETENTION_BATCH_SIZE: 1000,
      PLANNER_WARMUP_MS: 5000,
      PLANNER_WARMUP_ROUNDS: 4,
    });
  });

  it.each([
    ['PLANNER_TIER_PENALTIES', '{"gold": -1}'],
    ['PLANNER_TIER_PENALTIES', 'not json'],
    ['PLANNER_SLOT_MINUTES', '45'],
    ['PLANNER_NOW', '2024-05-01T10:00:00'],
    ['PLANNER_CRON', 'every hour'],
    ['PLANNER_FORECAST_LOOKBACK_HOURS', '12'],
    ['PLANNER_FORECAST_LOOKBACK_HOURS', '1.5'],
    ['PLANNER_RETENTION_DAYS', '-1'],
    ['PLANNER_RETENTION_INTERVAL_MS', '1000'], // below a minute: the job would compete with the plans
    ['PLANNER_RETENTION_BATCH_SIZE', '0'],
    ['PLANNER_WARMUP_MS', '-1'],
    ['PLANNER_WARMUP_MS', '600000'], // a minute at most: it delays the first leadership
    ['PLANNER_WARMUP_ROUNDS', '0'],
  ])('rejects %s=%s naming the variable', (variable, value) => {
    expect(() => loadConfig(plannerConfigShape, { ...base, [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig(plannerConfigShape, { ...base, [variable]: value })).toThrow(variable);
  });

  it('parses tier penalties and a fixed clock', () => {
    const config = loadConfig(plannerConfigShape, {
      ...base,
      PLANNER_TIER_PENALTIES: '{"gold": 500}',
      PLANNER_NOW: '2024-05-01T12:00:00+02:00',
    });
    expect(config.PLANNER_TIER_PENALTIES).toEqual({ gold: 500 });
    expect(config.PLANNER_NOW).toBe('2024-05-01T10:00:00.000Z');
  });
});
