// The planner beyond published prices: gridshift's own forecast from the stored price history (as known at
// the planning clock), through loadInputs on real PostgreSQL, and the re-plan when the next day-ahead arrives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { forecastHourly } from '#gridshift/forecast';
import { LoadRepository, PriceRepository, queryRows } from '#gridshift/persistence';
import {
  buildProblem,
  DEFAULT_APPROVAL_POLICY,
  DEFAULT_PLANNING_SETTINGS,
  detectSignificantChange,
  DEFAULT_CHANGE_THRESHOLDS,
  loadInputs,
  loadSchedule,
  Planner,
  solveInThread,
  type Assumption,
  type PlanOutcome,
} from '#gridshift/scheduling';
import { freshSchema } from '../support/harness.js';
import { HOUR_MS, seedClusters, seedJobs, type ClusterSeed } from './planner-fixtures.js';

const DAY_MS = 24 * HOUR_MS;
const today = Date.parse('2026-12-07T00:00:00Z');
/** 10:05 today: day-ahead known to the end of today, nothing after. */
const morning = new Date(today + 10 * HOUR_MS + 5 * 60_000);
const settings = { ...DEFAULT_PLANNING_SETTINGS, horizonHours: 48 };
const cluster: ClusterSeed = {
  id: 'fra-1',
  zone: 'DE-LU',
  region: 'eu',
  gpuModel: 'H100',
  gpuTotal: 64,
  kwPerGpu: 0.7,
  pue: 1.2,
};

/** Day-ahead price of an hour (epoch ms): a daily shape, cheaper at weekends, a little noise. */
function price(hourMs: number): number {
  const h = Math.round(hourMs / HOUR_MS);
  const hourOfDay = h % 24;
  const weekend = [0, 6].includes(new Date(hourMs).getUTCDay()) ? -15 : 0;
  return (
    Math.round((80 + 30 * Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI) + weekend + ((h * 7) % 5)) * 100) /
    100
  );
}

let db: DataSource;
let drop: () => Promise<void>;

/** One day's day-ahead issue of DE-LU (24 hourly prices), issued at `issuedAtMs`. */
async function putDayAhead(dayMs: number, issuedAtMs: number, priceOf = price): Promise<void> {
  await new PriceRepository(db).upsert(
    Array.from({ length: 24 }, (_, i) => {
      const at = dayMs + i * HOUR_MS;
      return {
        zone: 'DE-LU',
        market: 'day_ahead',
        partnerId: 'p1',
        intervalStartUtc: new Date(at).toISOString(),
        intervalMinutes: 60,
        pricePerMwhBase: priceOf(at),
        priceOriginal: priceOf(at),
        currencyOriginal: 'EUR',
        carbonGPerKwh: null,
        coverageMinutes: 60,
        issuedAt: new Date(issuedAtMs).toISOString(),
        messageId: null,
      };
    }),
  );
}

async function putLoad(atMs: number): Promise<void> {
  await new LoadRepository(db).append([
    {
      clusterId: cluster.id,
      region: cluster.region,
      zone: cluster.zone,
      observedAt: new Date(atMs).toISOString(),
      gpuModel: cluster.gpuModel,
      gpuTotal: cluster.gpuTotal,
      gpuBusy: 32,
      gpuSchedulable: 32,
      powerKw: 10,
      powerCapKw: null,
      pue: cluster.pue,
      messageId: null,
    },
  ]);
}

function stored(outcome: PlanOutcome) {
  if (outcome.status !== 'stored') throw new Error(`plan skipped: ${outcome.reason}`);
  return outcome;
}

const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  await seedClusters(db, [cluster]);
  await seedJobs(db, [
    {
      id: 'chat',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2400 },
      tokensPerHour: 69_120_000,
      maxGpus: 16,
    },
  ]);
  // 8 days of history plus today: each day's day-ahead issued at 12:00 the day before.
  for (let d = -8; d <= 0; d += 1) await putDayAhead(today + d * DAY_MS, today + d * DAY_MS - 12 * HOUR_MS);
  // Not known at 10:05 today (issued later): a revision of yesterday.
  await putDayAhead(today - DAY_MS, morning.getTime() + HOUR_MS, () => 5000);
  await putLoad(morning.getTime() - 60_000);
});

afterAll(async () => {
  await drop();
});

describe('planner forecast beyond published prices (real PostgreSQL)', () => {
  // History as a planner at 10:05 knows it: 8 days + today, hourly, ending at today 23:00.
  const historyStartMs = today - 8 * DAY_MS;
  const history = Array.from({ length: 9 * 24 }, (_, i) => price(historyStartMs + i * HOUR_MS));

  it('reads history only before the cutoff and as issued up to now', async () => {
    const tomorrow = today + DAY_MS;
    const points = await new PriceRepository(db).hourlyHistory(
      [{ zone: 'DE-LU', beforeMs: tomorrow }],
      9 * 24,
      morning,
    );
    expect(points.map((p) => p.hourStart.getTime())).toEqual(
      history.map((_, i) => historyStartMs + i * HOUR_MS),
    );
    // Yesterday's revision (5000, issued after 10:05) is not seen; the original issue is.
    expect(points.map((p) => p.pricePerMwh)).toEqual(history);
    // A cutoff at today 00:00 reads nothing of today.
    const before = await new PriceRepository(db).hourlyHistory(
      [{ zone: 'DE-LU', beforeMs: today }],
      48,
      morning,
    );
    expect(before.at(-1)!.hourStart.toISOString()).toBe(iso(today - HOUR_MS));
  });

  it("prices tomorrow with the forecaster's output on the stored history and records the assumption", async () => {
    const inputs = await loadInputs(db, { settings, now: morning });
    // Horizon 10:00 today + 48 h: 14 published slots (10:00–23:00), then 34 forecast.
    expect(inputs.slotStartsUtc[0]).toBe(iso(today + 10 * HOUR_MS));
    const zone = inputs.zones.find((z) => z.zone === 'DE-LU')!;
    expect(zone.source.slice(0, 14)).toEqual(Array(14).fill('day_ahead'));
    expect(zone.source.slice(14)).toEqual(Array(34).fill('gridshift-forecast'));

    const want = forecastHourly({ startMs: historyStartMs, values: history }, 34, {
      lookbackHours: settings.forecastLookbackHours,
    });
    expect(want.startMs).toBe(today + DAY_MS);
    const { problem } = buildProblem(inputs);
    const prices = problem.clusters.find((c) => c.id === 'fra-1')!.pricePerMwh;
    expect(prices.slice(0, 14)).toEqual(history.slice(-14));
    expect(prices.slice(14)).toEqual([...want.point]);

    const forecast = inputs.assumptions.find((a) => a.code === 'price-forecast')!;
    expect(forecast.slotStartsUtc).toEqual(inputs.slotStartsUtc.slice(14));
    expect(forecast.message).toBe(
      "DE-LU: no published price for 34 slot(s) after 2026-12-07T23:00Z; gridshift's profile forecast from 9 days of history was used",
    );
    const details = forecast.details as {
      source: string;
      method: string;
      historyHours: number;
      bands: { p10: number[]; p50: number[]; p90: number[] };
    };
    expect(details).toMatchObject({ source: 'gridshift', method: 'profile', historyHours: 216 });
    expect(details.bands.p50).toEqual([...want.p50].map((x) => Math.round(x * 100) / 100));
    details.bands.p10.forEach((p10, i) => {
      expect(p10).toBeLessThanOrEqual(details.bands.p50[i]!);
      expect(details.bands.p50[i]!).toBeLessThanOrEqual(details.bands.p90[i]!);
    });
    expect(inputs.assumptions.some((a) => a.code === 'price-carried-forward')).toBe(false);
  });

  it("re-plans when tomorrow's day-ahead arrives; the new schedule no longer forecasts those slots", async () => {
    const epochRows = await queryRows<{ epoch: string }>(
      db,
      `update planner_leases set epoch = epoch + 1, holder = 'test' where name = 'planner' returning epoch::text as epoch`,
    );
    const epoch = Number(epochRows[0]!.epoch);
    let clock = morning;
    const planner = new Planner(db, {
      settings,
      approval: DEFAULT_APPROVAL_POLICY,
      solve: solveInThread,
      now: () => clock,
    });
    const first = stored(await planner.plan('manual', { epoch }));
    const firstSchedule = await loadSchedule(db, first.scheduleId, { placements: false });
    const forecastOf = (assumptions: unknown[]) =>
      (assumptions as Assumption[]).find(
        (a) => a.code === 'price-forecast' && (a.details as { source?: string }).source === 'gridshift',
      );
    const tomorrowSlots = Array.from({ length: 24 }, (_, i) => iso(today + DAY_MS + i * HOUR_MS));
    expect(forecastOf(firstSchedule.assumptions)!.slotStartsUtc).toEqual(
      expect.arrayContaining(tomorrowSlots.slice(0, 10)),
    );

    // 12:30: tomorrow's day-ahead was issued at 12:00 (today's was issued yesterday).
    clock = new Date(today + 12 * HOUR_MS + 30 * 60_000);
    await putDayAhead(today + DAY_MS, today + 12 * HOUR_MS);
    await putLoad(clock.getTime() - 60_000);
    const planned = await planner.plannedSignature();
    const { signature } = await planner.currentSignature();
    const change = detectSignificantChange(planned!, signature, DEFAULT_CHANGE_THRESHOLDS);
    expect(change?.trigger).toBe('day-ahead');

    const second = stored(await planner.plan(change!.trigger, { epoch, skipIfUnchanged: true }));
    const secondSchedule = await loadSchedule(db, second.scheduleId, { placements: false });
    const forecast = forecastOf(secondSchedule.assumptions)!;
    // Horizon 12:00 today + 48 h: published to tomorrow 23:00, forecast from the day after (12 slots).
    expect(forecast.slotStartsUtc).toEqual(
      Array.from({ length: 12 }, (_, i) => iso(today + 2 * DAY_MS + i * HOUR_MS)),
    );
    expect(forecast.slotStartsUtc!.some((s) => tomorrowSlots.includes(s))).toBe(false);
  });
});
