/**
 * Seeded schedule fixtures for the admin API's e2e tests and benchmark: a schedule row shaped like the
 * planner's (input snapshot with the placement problem, totals, baselines, savings, assumptions,
 * shortfalls) and its placements, inserted with plain SQL. Not used by the API itself.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { savingsAgainst, seededRandom } from '#gridshift/placement';

export interface FixtureCluster {
  id: string;
  zone: string;
  kwPerGpu: number;
  pue: number;
  gpuTotal: number;
  /** One price per slot, EUR/MWh. */
  pricePerMwh: number[];
}

export interface FixturePlacement {
  jobId: string;
  clusterId: string;
  slotStart: string;
  gpus: number;
  gpuHours: number;
}

export interface ScheduleFixture {
  id: string;
  version: number | null;
  kind: 'plan' | 'what-if';
  status: 'draft' | 'approved' | 'published' | 'superseded' | 'rejected' | 'what-if';
  horizonStart: string;
  slotMinutes: number;
  slotStartsUtc: string[];
  clusters: FixtureCluster[];
  jobIds: string[];
  placements: FixturePlacement[];
  penaltyCost: number;
  stabilityCost: number;
  /** Baselines' energy + penalty cost (no carbon, no stability in fixtures). */
  homeTotalCost: number;
  greedyTotalCost: number;
  /** GPU-hours each baseline serves; null (the default) = the same as the schedule's placements. */
  homeServedGpuHours?: number | null;
  greedyServedGpuHours?: number | null;
  publishedAt: string | null;
  createdAt: string;
  /**
   * Slots from this index on were forecast (as the planner stores it: `priceSources` per zone and a
   * `price-forecast` assumption per zone with p10/p50/p90 bands, p50 = the price used); unset = all published.
   */
  forecastFromSlot?: number;
}

const HOUR_MS = 3_600_000;

/** Energy + carbon-free cost of the placements, priced like libs/placement: gpuHours × kW × PUE × price / 1000. */
export function placementCost(
  fixture: Pick<ScheduleFixture, 'clusters' | 'slotStartsUtc'>,
  p: FixturePlacement,
): number {
  const cluster = fixture.clusters.find((c) => c.id === p.clusterId)!;
  const t = fixture.slotStartsUtc.indexOf(p.slotStart);
  return (p.gpuHours * cluster.kwPerGpu * cluster.pue * cluster.pricePerMwh[t]!) / 1000;
}

export interface BuildOptions {
  seed: number;
  jobs: number;
  clusters: number;
  slots: number;
  horizonStart: string;
  slotMinutes?: number;
  status?: ScheduleFixture['status'];
  kind?: ScheduleFixture['kind'];
  version?: number | null;
  publishedAt?: string | null;
  createdAt?: string;
  /** Reuse these clusters (prices) instead of generating new ones. */
  clusterSet?: FixtureCluster[];
  /** See ScheduleFixture.forecastFromSlot. */
  forecastFromSlot?: number;
}

/** A schedule where each job runs in one cluster per slot (sometimes two), with a daily price shape per zone. */
export function buildSchedule(options: BuildOptions): ScheduleFixture {
  const random = seededRandom(options.seed);
  const slotMinutes = options.slotMinutes ?? 60;
  const startMs = Date.parse(options.horizonStart);
  const slotStartsUtc = Array.from({ length: options.slots }, (_, t) =>
    new Date(startMs + t * slotMinutes * 60_000).toISOString(),
  );
  const clusters =
    options.clusterSet ??
    Array.from({ length: options.clusters }, (_, r) => {
      const base = 40 + random() * 60;
      return {
        id: `c${String(r).padStart(2, '0')}`,
        zone: `Z${r % 8}`,
        kwPerGpu: Math.round((0.6 + random() * 0.4) * 100) / 100,
        pue: Math.round((1.1 + random() * 0.3) * 100) / 100,
        gpuTotal: 20_000,
        pricePerMwh: slotStartsUtc.map((s) => {
          const hour = new Date(s).getUTCHours();
          return (
            Math.round(
              (base + 30 * Math.sin(((hour - 6) / 24) * 2 * Math.PI) + (random() - 0.5) * 10) * 100,
            ) / 100
          );
        }),
      };
    });
  const jobIds = Array.from({ length: options.jobs }, (_, j) => `job-${String(j).padStart(5, '0')}`);
  const slotHours = slotMinutes / 60;
  const placements: FixturePlacement[] = [];
  for (const jobId of jobIds) {
    const home = Math.floor(random() * clusters.length);
    const gpus = 1 + Math.floor(random() * 8);
    for (const slotStart of slotStartsUtc) {
      const r = random() < 0.8 ? home : Math.floor(random() * clusters.length);
      const split = random() < 0.15 && gpus > 1;
      const first = split ? Math.ceil(gpus / 2) : gpus;
      placements.push({
        jobId,
        clusterId: clusters[r]!.id,
        slotStart,
        gpus: first,
        gpuHours: round6(first * slotHours * (0.9 + random() * 0.1)),
      });
      if (split) {
        const other = clusters[(r + 1) % clusters.length]!.id;
        placements.push({
          jobId,
          clusterId: other,
          slotStart,
          gpus: gpus - first,
          gpuHours: round6((gpus - first) * slotHours * (0.9 + random() * 0.1)),
        });
      }
    }
  }
  const fixture: ScheduleFixture = {
    id: randomUUID(),
    version: options.version === undefined ? null : options.version,
    kind: options.kind ?? 'plan',
    status: options.status ?? 'draft',
    horizonStart: new Date(startMs).toISOString(),
    slotMinutes,
    slotStartsUtc,
    clusters,
    jobIds,
    placements,
    penaltyCost: Math.round(random() * 500 * 100) / 100,
    stabilityCost: 0,
    homeTotalCost: 0,
    greedyTotalCost: 0,
    publishedAt: options.publishedAt ?? null,
    createdAt: options.createdAt ?? new Date().toISOString(),
    ...(options.forecastFromSlot === undefined ? {} : { forecastFromSlot: options.forecastFromSlot }),
  };
  const energyCost = placements.reduce((sum, p) => sum + placementCost(fixture, p), 0);
  fixture.homeTotalCost = round6((energyCost + fixture.penaltyCost) * 1.22);
  fixture.greedyTotalCost = round6((energyCost + fixture.penaltyCost) * 1.04);
  return fixture;
}

/** A copy of `base` (same clusters and horizon) with `share` of the jobs moved to another cluster. */
export function movedCopy(
  base: ScheduleFixture,
  options: {
    seed: number;
    share: number;
    version: number | null;
    status: ScheduleFixture['status'];
    horizonShiftSlots?: number;
  },
): ScheduleFixture {
  const random = seededRandom(options.seed);
  const shift = options.horizonShiftSlots ?? 0;
  const slotMs = base.slotMinutes * 60_000;
  const slotStartsUtc = base.slotStartsUtc.map((s) => new Date(Date.parse(s) + shift * slotMs).toISOString());
  // Prices of shifted slots: reuse the base's curve, rotated, and perturb a little.
  const clusters = base.clusters.map((c) => ({
    ...c,
    pricePerMwh: c.pricePerMwh.map((_, t) =>
      round6(c.pricePerMwh[(t + shift) % c.pricePerMwh.length]! * (0.95 + random() * 0.1)),
    ),
  }));
  const movers = new Set(base.jobIds.filter(() => random() < options.share));
  const placements: FixturePlacement[] = [];
  const lastMs = Date.parse(base.slotStartsUtc.at(-1)!);
  for (const p of base.placements) {
    const ms = Date.parse(p.slotStart) + 0;
    if (ms < Date.parse(slotStartsUtc[0]!)) continue;
    const target = movers.has(p.jobId)
      ? clusters[(clusters.findIndex((c) => c.id === p.clusterId) + 3) % clusters.length]!.id
      : p.clusterId;
    placements.push({ ...p, clusterId: target });
  }
  // Slots past the base horizon: repeat the last slot's placements.
  for (let k = 1; k <= shift; k += 1) {
    const slotStart = new Date(lastMs + k * slotMs).toISOString();
    for (const p of base.placements.filter((x) => x.slotStart === base.slotStartsUtc.at(-1))) {
      placements.push({ ...p, slotStart });
    }
  }
  // Merge rows that now share (job, cluster, slot).
  const merged = new Map<string, FixturePlacement>();
  for (const p of placements) {
    const key = `${p.jobId}|${p.clusterId}|${p.slotStart}`;
    const seen = merged.get(key);
    if (seen) {
      seen.gpus += p.gpus;
      seen.gpuHours = round6(seen.gpuHours + p.gpuHours);
    } else merged.set(key, { ...p });
  }
  const fixture: ScheduleFixture = {
    ...base,
    id: randomUUID(),
    version: options.version,
    status: options.status,
    horizonStart: slotStartsUtc[0]!,
    slotStartsUtc,
    clusters,
    placements: [...merged.values()],
    publishedAt: null,
    createdAt: new Date(Date.parse(base.createdAt) + 60_000).toISOString(),
  };
  const energyCost = fixture.placements.reduce((sum, p) => sum + placementCost(fixture, p), 0);
  fixture.homeTotalCost = round6((energyCost + fixture.penaltyCost) * 1.2);
  fixture.greedyTotalCost = round6((energyCost + fixture.penaltyCost) * 1.03);
  return fixture;
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Inserts the schedule row and its placements (plain SQL, in the planner's storage layout). */
/** The per-zone sources and `price-forecast` assumptions of a fixture with forecast slots (p10 −15 %, p90 +20 %). */
function forecastParts(f: ScheduleFixture) {
  const from = f.forecastFromSlot;
  if (from === undefined) return null;
  const zones = new Map<string, FixtureCluster>();
  for (const c of [...f.clusters].sort((a, b) => a.id.localeCompare(b.id)))
    if (!zones.has(c.zone)) zones.set(c.zone, c);
  const forecastSlots = f.slotStartsUtc.slice(from);
  const cents = (x: number) => Math.round(x * 100) / 100;
  return {
    priceSources: Object.fromEntries(
      [...zones.keys()].map((zone) => [
        zone,
        {
          source: f.slotStartsUtc.map((_, t) => (t < from ? 'day_ahead' : 'gridshift-forecast')),
          issuedAtUtc: f.slotStartsUtc.map((_, t) => (t < from ? f.horizonStart : null)),
        },
      ]),
    ),
    assumptions: [...zones.entries()].map(([zone, c]) => {
      const p50 = c.pricePerMwh.slice(from).map(cents);
      return {
        code: 'price-forecast',
        zone,
        slotStartsUtc: forecastSlots,
        message: `${zone}: no published price for ${forecastSlots.length} slot(s); gridshift's forecast was used`,
        details: {
          source: 'gridshift',
          method: 'seasonal-naive',
          historyHours: 672,
          shortHistory: false,
          bands: { p10: p50.map((p) => cents(p * 0.85)), p50, p90: p50.map((p) => cents(p * 1.2)) },
        },
      };
    }),
  };
}

export async function insertSchedule(db: DataSource, f: ScheduleFixture): Promise<void> {
  const energyCost = f.placements.reduce((sum, p) => sum + placementCost(f, p), 0);
  const served = f.placements.reduce((sum, p) => sum + p.gpuHours, 0);
  const energyMwh = f.placements.reduce((sum, p) => {
    const c = f.clusters.find((x) => x.id === p.clusterId)!;
    return sum + (p.gpuHours * c.kwPerGpu * c.pue) / 1000;
  }, 0);
  const totalCost = energyCost + f.penaltyCost + f.stabilityCost;
  const totals = {
    currency: 'EUR',
    energyMwh,
    energyCost,
    carbonTonnes: 0,
    carbonCost: 0,
    penaltyCost: f.penaltyCost,
    stabilityCost: f.stabilityCost,
    totalCost,
    servedGpuHours: served,
    unservedGpuHours: f.penaltyCost / 10,
    movedGpuHours: 0,
    tokensMillions: null,
    costPerMillionTokens: null,
  };
  // Baselines as libs/placement stores them; savings are what the planner stores (savingsAgainst).
  const baseline = (cost: number, servedGpuHours: number | null | undefined) => ({
    ...totals,
    energyCost: cost - f.penaltyCost,
    stabilityCost: 0,
    totalCost: cost,
    servedGpuHours: servedGpuHours ?? served,
    unservedGpuHours: totals.unservedGpuHours + served - (servedGpuHours ?? served),
  });
  const home = baseline(f.homeTotalCost, f.homeServedGpuHours);
  const greedy = baseline(f.greedyTotalCost, f.greedyServedGpuHours);
  const forecast = forecastParts(f);
  const snapshot = {
    ...(forecast ? { priceSources: forecast.priceSources } : {}),
    formatVersion: 1,
    horizonStartUtc: f.horizonStart,
    slotMinutes: f.slotMinutes,
    problem: {
      slotStartsUtc: f.slotStartsUtc,
      slotMinutes: f.slotMinutes,
      currency: 'EUR',
      clusters: f.clusters.map((c) => ({
        id: c.id,
        zone: c.zone,
        schedulableGpus: c.pricePerMwh.map(() => c.gpuTotal),
        kwPerGpu: c.kwPerGpu,
        pue: c.pue,
        pricePerMwh: c.pricePerMwh,
        latencyMsByOrigin: {},
      })),
      jobs: f.jobIds.map((id) => ({
        id,
        kind: 'interactive',
        maxGpus: 8,
        demandGpuHours: f.slotStartsUtc.map(() => 4),
        tier: 'standard',
      })),
    },
  };
  const horizonEnd = new Date(
    Date.parse(f.horizonStart) + f.slotStartsUtc.length * f.slotMinutes * 60_000,
  ).toISOString();
  const shortfalls = f.jobIds.slice(0, 3).map((jobId) => ({
    jobId,
    kind: 'interactive',
    outcome: 'partially-placed',
    demandGpuHours: 100,
    servedGpuHours: 90,
    gpuHours: 10,
    reasons: [{ reason: 'capacity', gpuHours: 10 }],
  }));
  await db.query(
    `insert into schedules (id, version, kind, status, trigger, leader_epoch, horizon_start, horizon_end, slot_minutes,
       input_snapshot, input_hash, solver_stats, totals, baselines, savings, assumptions, shortfalls, explanations,
       objective, published_at, approved_at, approved_by, created_at)
     values ($1, $2, $3, $4, 'cron', 0, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb,
       $14::jsonb, $15::jsonb, $16::jsonb, $17, $18, $19, $20, $21)`,
    [
      f.id,
      f.version,
      f.kind,
      f.status,
      f.horizonStart,
      horizonEnd,
      f.slotMinutes,
      JSON.stringify(snapshot),
      `fixture-${f.id}`,
      JSON.stringify({ totalMs: 1234, variables: 1000, constraints: 500 }),
      JSON.stringify(totals),
      JSON.stringify({ home, greedy }),
      JSON.stringify({ vsHome: savingsAgainst(home, totals), vsGreedy: savingsAgainst(greedy, totals) }),
      JSON.stringify([
        { code: 'price-stale', message: 'Z1 prices issued 30 h ago were used', zone: 'Z1' },
        ...(forecast?.assumptions ?? []),
      ]),
      JSON.stringify(shortfalls),
      JSON.stringify(
        f.jobIds.slice(0, 50).map((jobId) => ({
          jobId,
          outcome: 'placed',
          summary: `${jobId} ran where it was cheapest`,
          clusters: [],
          marginalCostPerGpuHour: null,
          cheaperCells: [],
          excludedClusters: [],
        })),
      ),
      totalCost,
      f.publishedAt,
      f.status === 'draft' || f.status === 'what-if' || f.status === 'rejected'
        ? null
        : (f.publishedAt ?? f.createdAt),
      f.status === 'draft' || f.status === 'what-if' || f.status === 'rejected' ? null : 'fixture',
      f.createdAt,
    ],
  );
  // One row per (cluster, slot) cell with its jobs in parallel arrays (migration 1732380000020), grouped
  // here in one statement; the `placements` view inserts row by row.
  await db.query(
    `insert into placement_cells (schedule_id, cluster_id, slot_start, job_ids, gpus, gpu_hours)
     select $1, c, s, array_agg(j order by j), array_agg(g order by j), array_agg(h order by j)
     from unnest($2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::float8[]) as x(j, c, s, g, h)
     group by c, s`,
    [
      f.id,
      f.placements.map((p) => p.jobId),
      f.placements.map((p) => p.clusterId),
      f.placements.map((p) => p.slotStart),
      f.placements.map((p) => p.gpus),
      f.placements.map((p) => p.gpuHours),
    ],
  );
}

/** Milliseconds of `n` hours. */
export const hours = (n: number) => n * HOUR_MS;
