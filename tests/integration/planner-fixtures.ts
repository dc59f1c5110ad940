// Shared fixtures of the planner tests and the reaction benchmark: a fleet of clusters in real price
// zones, jobs, and price / load messages in the v1 contracts. Not a test file itself.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ClusterLoadMessageV1, PriceMessageV1 } from '#gridshift/contracts';
import type { JsonProducer } from '#gridshift/messaging';
import { seededRandom } from '#gridshift/placement';

export const HOUR_MS = 3_600_000;

/** Start of the current UTC hour. */
export function currentHourMs(now = Date.now()): number {
  return Math.floor(now / HOUR_MS) * HOUR_MS;
}

export interface ClusterSeed {
  id: string;
  zone: string;
  region: string;
  gpuModel: string;
  gpuTotal: number;
  kwPerGpu: number;
  pue: number;
  powerCapKw?: number | null;
  latencyMsByOrigin?: Record<string, number>;
}

export interface JobSeed {
  id: string;
  kind: 'interactive' | 'batch';
  tokensPerSecondPerGpu: Record<string, number>;
  tokensPerHour?: number | null;
  totalTokens?: number | null;
  windowStart?: string | null;
  deadline?: string | null;
  origin?: string;
  latencySlaMs?: number | null;
  residency?: string[];
  tier?: string;
  maxGpus: number;
  pins?: { mustRunIn?: string[]; mustNotRunIn?: string[] };
}

/** Inserts clusters (active). */
export async function seedClusters(db: DataSource, clusters: ClusterSeed[]): Promise<void> {
  await db.query(
    `insert into clusters (id, name, region, zone, gpu_model, gpu_total, kw_per_gpu, pue, power_cap_kw, latency_ms_by_origin)
     select id, id, r, z, g, t, k, p, c, l::jsonb
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::float8[], $7::float8[], $8::float8[], $9::text[])
       as x(id, r, z, g, t, k, p, c, l)`,
    [
      clusters.map((c) => c.id),
      clusters.map((c) => c.region),
      clusters.map((c) => c.zone),
      clusters.map((c) => c.gpuModel),
      clusters.map((c) => c.gpuTotal),
      clusters.map((c) => c.kwPerGpu),
      clusters.map((c) => c.pue),
      clusters.map((c) => c.powerCapKw ?? null),
      clusters.map((c) => JSON.stringify(c.latencyMsByOrigin ?? {})),
    ],
  );
}

/** Inserts jobs (active). */
export async function seedJobs(db: DataSource, jobs: JobSeed[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += 5000) {
    const part = jobs.slice(i, i + 5000);
    await db.query(
      `insert into jobs (id, name, model, kind, tokens_per_second_per_gpu, tokens_per_hour, total_tokens, window_start,
                         deadline, origin, latency_sla_ms, residency, tier, max_gpus, pins)
       select id, id, 'llm', k, tps::jsonb, tph, tt, ws, dl, o, sla, res::jsonb, tier, mg, pins::jsonb
       from unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::timestamptz[], $7::timestamptz[],
                   $8::text[], $9::float8[], $10::text[], $11::text[], $12::int[], $13::text[])
         as x(id, k, tps, tph, tt, ws, dl, o, sla, res, tier, mg, pins)`,
      [
        part.map((j) => j.id),
        part.map((j) => j.kind),
        part.map((j) => JSON.stringify(j.tokensPerSecondPerGpu)),
        part.map((j) => j.tokensPerHour ?? null),
        part.map((j) => j.totalTokens ?? null),
        part.map((j) => j.windowStart ?? null),
        part.map((j) => j.deadline ?? null),
        part.map((j) => j.origin ?? 'eu-users'),
        part.map((j) => j.latencySlaMs ?? null),
        part.map((j) => JSON.stringify(j.residency ?? [])),
        part.map((j) => j.tier ?? 'standard'),
        part.map((j) => j.maxGpus),
        part.map((j) => JSON.stringify(j.pins ?? {})),
      ],
    );
  }
}

/** A day-ahead style price message: one point per hour from `fromMs`, price(t) from `price`. */
export function priceMessage(
  zone: string,
  fromMs: number,
  hours: number,
  price: (hour: number) => number,
  options: {
    market?: PriceMessageV1['market'];
    issuedAtMs?: number;
    partnerId?: string;
    currency?: string;
  } = {},
): PriceMessageV1 {
  return {
    partnerId: options.partnerId ?? 'test-partner',
    zone,
    market: options.market ?? 'day_ahead',
    currency: options.currency ?? 'USD',
    unit: 'MWh',
    issuedAt: new Date(options.issuedAtMs ?? Date.now()).toISOString(),
    points: Array.from({ length: hours }, (_, h) => ({
      intervalStart: new Date(fromMs + h * HOUR_MS).toISOString(),
      intervalMinutes: 60 as const,
      price: Math.round(price(h) * 100) / 100,
    })),
  };
}

/** A load report of a cluster with `schedulable` GPUs free for gridshift. */
export function loadMessage(
  cluster: ClusterSeed,
  schedulable: number,
  observedAtMs = Date.now(),
): ClusterLoadMessageV1 {
  return {
    clusterId: cluster.id,
    region: cluster.region,
    zone: cluster.zone,
    observedAt: new Date(observedAtMs).toISOString(),
    gpuModel: cluster.gpuModel,
    gpuTotal: cluster.gpuTotal,
    gpuBusy: cluster.gpuTotal - schedulable,
    gpuSchedulable: schedulable,
    powerKw: 1000,
    powerCapKw: cluster.powerCapKw ?? 1_000_000,
    pue: cluster.pue,
  };
}

/**
 * Publishes a fleet's state as its data centers and energy partners would: a load report per cluster (60 % of its
 * GPUs schedulable) and a day-ahead curve of `hours` from `fromMs` per zone of the clusters (`zonePrice`).
 */
export async function publishFleetState(
  producer: JsonProducer,
  topics: { clusterLoad: string; prices: string },
  clusters: ClusterSeed[],
  fromMs: number,
  hours: number,
): Promise<void> {
  const zones = [...new Set(clusters.map((c) => c.zone))];
  await producer.send(
    topics.clusterLoad,
    clusters.map((c) => ({ key: c.id, value: loadMessage(c, Math.floor(c.gpuTotal * 0.6)) })),
  );
  await producer.send(
    topics.prices,
    zones.map((zone) => ({ key: zone, value: priceMessage(zone, fromMs, hours, (h) => zonePrice(zone, h)) })),
  );
}

/** Load-report rows (`LoadRepository.append`) of every cluster: `schedulable` GPUs free, observed at `observedAtMs`. */
export function loadRows(
  clusters: ClusterSeed[],
  schedulable: (c: ClusterSeed) => number,
  observedAtMs: number,
) {
  return clusters.map((c) => ({
    clusterId: c.id,
    region: c.region,
    zone: c.zone,
    observedAt: new Date(observedAtMs).toISOString(),
    gpuModel: c.gpuModel,
    gpuTotal: c.gpuTotal,
    gpuBusy: c.gpuTotal - schedulable(c),
    gpuSchedulable: schedulable(c),
    powerKw: 10,
    powerCapKw: null,
    pue: c.pue,
    messageId: null,
  }));
}

/** Zones of real markets used by the fleet generator. */
export const FLEET_ZONES = [
  'DE-LU',
  'FR',
  'NL',
  'ES',
  'GB',
  'US-CAL-CISO',
  'US-TEX-ERCO',
  'US-NY-NYIS',
] as const;

/** `count` clusters spread over FLEET_ZONES with 1,000–4,000 GPUs each. */
export function generateClusters(count: number, seed = 7): ClusterSeed[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const zone = FLEET_ZONES[i % FLEET_ZONES.length]!;
    return {
      id: `c${String(i).padStart(2, '0')}-${zone.toLowerCase()}`,
      zone,
      region: zone.startsWith('US') ? 'us' : 'eu',
      gpuModel: 'H100',
      gpuTotal: 1000 + Math.floor(random() * 3000),
      kwPerGpu: 0.7,
      pue: 1.1 + random() * 0.3,
      latencyMsByOrigin: {
        'eu-users': zone.startsWith('US') ? 90 : 20,
        'us-users': zone.startsWith('US') ? 20 : 90,
      },
    };
  });
}

/** `count` jobs: 70% interactive (per-hour demand), 30% batch (total by a deadline within the day). */
export function generateJobs(count: number, horizonStartMs: number, seed = 11): JobSeed[] {
  const random = seededRandom(seed);
  const tiers = ['critical', 'standard', 'batch', 'best-effort'];
  return Array.from({ length: count }, (_, i) => {
    const interactive = random() < 0.7;
    const tps = 1500 + Math.floor(random() * 1500);
    const gpus = 1 + Math.floor(random() * 12);
    const base: JobSeed = {
      id: `job-${String(i).padStart(5, '0')}`,
      kind: interactive ? 'interactive' : 'batch',
      tokensPerSecondPerGpu: { H100: tps },
      maxGpus: gpus * 2,
      tier: tiers[Math.floor(random() * tiers.length)]!,
      origin: random() < 0.5 ? 'eu-users' : 'us-users',
      residency: random() < 0.2 ? ['DE-LU', 'FR', 'NL'] : [],
    };
    if (interactive) {
      return { ...base, tokensPerHour: tps * 3600 * gpus * (0.3 + random() * 0.5), latencySlaMs: 120 };
    }
    const deadlineHours = 6 + Math.floor(random() * 18);
    return {
      ...base,
      totalTokens: tps * 3600 * gpus * deadlineHours * 0.4,
      windowStart: new Date(horizonStartMs).toISOString(),
      deadline: new Date(horizonStartMs + deadlineHours * HOUR_MS).toISOString(),
    };
  });
}

/** A daily price shape per zone (USD/MWh), hour 0 = horizon start. */
export function zonePrice(zone: string, hourOfDay: number): number {
  const index = FLEET_ZONES.indexOf(zone as (typeof FLEET_ZONES)[number]);
  const base = 40 + (index >= 0 ? index : 3) * 9;
  return base + 35 * Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI) + (hourOfDay % 5);
}

/** A fresh id for message headers. */
export function messageId(): string {
  return randomUUID();
}
