import type { ClusterInput, JobInput, PlacementProblem } from '../model.js';

/**
 * Seeded synthetic fleets for tests and the benchmark. Prices follow daily shapes per zone (local-time
 * morning and evening peaks, a solar dip that can go negative, noise, rare spikes towards market caps)
 * whose levels are loosely calibrated on 2023 day-ahead data (README "Benchmark"); nothing is read
 * from disk, so the benchmark runs on a fresh clone.
 */
export interface GenerateOptions {
  jobs: number;
  clusters: number;
  slots: number;
  seed?: number;
  slotMinutes?: number;
  /** Share of interactive jobs (default 0.3). */
  interactiveShare?: number;
  /** Total demand relative to total capacity (default 0.7). */
  load?: number;
  /** Carbon price, EUR/t (default 0 = carbon reported, not priced). */
  carbonPricePerTonne?: number;
  /** Probability that a job gets an operator pin (default 0.02). */
  pinShare?: number;
}

interface Zone {
  zone: string;
  region: 'eu' | 'us' | 'apac';
  utcOffsetHours: number;
  /** Mean price, EUR/MWh. */
  basePrice: number;
  morningPeak: number;
  eveningPeak: number;
  solarDip: number;
  spikeChance: number;
  carbonGPerKwh: number;
}

// Levels ≈ 2023 averages (EUR/MWh, converted), shapes qualitative; see README.
const ZONES: Zone[] = [
  {
    zone: 'DE-LU',
    region: 'eu',
    utcOffsetHours: 1,
    basePrice: 95,
    morningPeak: 0.25,
    eveningPeak: 0.45,
    solarDip: 0.6,
    spikeChance: 0.004,
    carbonGPerKwh: 380,
  },
  {
    zone: 'FR',
    region: 'eu',
    utcOffsetHours: 1,
    basePrice: 97,
    morningPeak: 0.3,
    eveningPeak: 0.4,
    solarDip: 0.35,
    spikeChance: 0.003,
    carbonGPerKwh: 55,
  },
  {
    zone: 'NL',
    region: 'eu',
    utcOffsetHours: 1,
    basePrice: 96,
    morningPeak: 0.25,
    eveningPeak: 0.45,
    solarDip: 0.55,
    spikeChance: 0.004,
    carbonGPerKwh: 330,
  },
  {
    zone: 'ES',
    region: 'eu',
    utcOffsetHours: 1,
    basePrice: 87,
    morningPeak: 0.2,
    eveningPeak: 0.5,
    solarDip: 0.8,
    spikeChance: 0.002,
    carbonGPerKwh: 150,
  },
  {
    zone: 'GB',
    region: 'eu',
    utcOffsetHours: 0,
    basePrice: 110,
    morningPeak: 0.2,
    eveningPeak: 0.5,
    solarDip: 0.2,
    spikeChance: 0.005,
    carbonGPerKwh: 200,
  },
  {
    zone: 'US-CAL-CISO',
    region: 'us',
    utcOffsetHours: -8,
    basePrice: 70,
    morningPeak: 0.15,
    eveningPeak: 0.8,
    solarDip: 0.9,
    spikeChance: 0.004,
    carbonGPerKwh: 230,
  },
  {
    zone: 'US-TEX-ERCO',
    region: 'us',
    utcOffsetHours: -6,
    basePrice: 55,
    morningPeak: 0.1,
    eveningPeak: 0.9,
    solarDip: 0.4,
    spikeChance: 0.01,
    carbonGPerKwh: 400,
  },
  {
    zone: 'US-NY-NYIS',
    region: 'us',
    utcOffsetHours: -5,
    basePrice: 45,
    morningPeak: 0.25,
    eveningPeak: 0.45,
    solarDip: 0.1,
    spikeChance: 0.004,
    carbonGPerKwh: 260,
  },
  {
    zone: 'US-MIDA-PJM',
    region: 'us',
    utcOffsetHours: -5,
    basePrice: 38,
    morningPeak: 0.3,
    eveningPeak: 0.4,
    solarDip: 0.05,
    spikeChance: 0.004,
    carbonGPerKwh: 370,
  },
  {
    zone: 'JP-TK',
    region: 'apac',
    utcOffsetHours: 9,
    basePrice: 75,
    morningPeak: 0.25,
    eveningPeak: 0.35,
    solarDip: 0.35,
    spikeChance: 0.003,
    carbonGPerKwh: 480,
  },
  {
    zone: 'SG',
    region: 'apac',
    utcOffsetHours: 8,
    basePrice: 140,
    morningPeak: 0.1,
    eveningPeak: 0.15,
    solarDip: 0.02,
    spikeChance: 0.003,
    carbonGPerKwh: 470,
  },
  {
    zone: 'AU-NSW',
    region: 'apac',
    utcOffsetHours: 10,
    basePrice: 85,
    morningPeak: 0.3,
    eveningPeak: 0.9,
    solarDip: 0.8,
    spikeChance: 0.008,
    carbonGPerKwh: 600,
  },
  {
    zone: 'KR',
    region: 'apac',
    utcOffsetHours: 9,
    basePrice: 120,
    morningPeak: 0.15,
    eveningPeak: 0.2,
    solarDip: 0.1,
    spikeChance: 0.002,
    carbonGPerKwh: 430,
  },
];

const MARKET_CAP_EUR_PER_MWH = 4000;
const ORIGINS = ['eu-users', 'us-users', 'apac-users'] as const;
const TIERS: Record<string, number> = { premium: 8, standard: 2.5, 'best-effort': 0.35 };
const TOKENS_PER_SECOND = [2600, 1300, 450];

/** mulberry32: small, fast, good enough for reproducible fixtures. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[], weights?: readonly number[]): T {
  if (!weights) return items[Math.floor(random() * items.length)] as T;
  const total = weights.reduce((a, b) => a + b, 0);
  let x = random() * total;
  for (let k = 0; k < items.length; k++) {
    x -= weights[k] ?? 0;
    if (x <= 0) return items[k] as T;
  }
  return items[items.length - 1] as T;
}

function bump(hour: number, center: number, width: number): number {
  const d = Math.min(Math.abs(hour - center), 24 - Math.abs(hour - center));
  return Math.exp(-(d * d) / (2 * width * width));
}

function priceSeries(zone: Zone, slots: number, startMs: number, slotMinutes: number, random: () => number) {
  const prices: number[] = [];
  const carbon: number[] = [];
  const dayLevel: number[] = [];
  for (let t = 0; t < slots; t++) {
    const utcHours = (startMs / 3_600_000 + (t * slotMinutes) / 60) % 24;
    const hour = (utcHours + zone.utcOffsetHours + 24) % 24;
    const day = Math.floor((t * slotMinutes) / 1440);
    dayLevel[day] ??= 0.8 + 0.4 * random();
    const shape =
      1 +
      zone.morningPeak * bump(hour, 8, 1.5) +
      zone.eveningPeak * bump(hour, 19, 2) -
      zone.solarDip * bump(hour, 13, 2.5) -
      0.15 * bump(hour, 3, 2);
    let price = zone.basePrice * (dayLevel[day] ?? 1) * shape + zone.basePrice * 0.08 * (random() * 2 - 1);
    if (random() < zone.spikeChance) price = Math.min(MARKET_CAP_EUR_PER_MWH, price * (5 + 20 * random()));
    prices.push(Math.round(price * 100) / 100);
    carbon.push(
      Math.round(
        zone.carbonGPerKwh * (1 - 0.4 * zone.solarDip * bump(hour, 13, 2.5)) * (0.9 + 0.2 * random()),
      ),
    );
  }
  return { prices, carbon };
}

function latencyMs(from: (typeof ORIGINS)[number], region: Zone['region'], random: () => number): number {
  const same = from.startsWith(region);
  const pair = [from.slice(0, from.indexOf('-')), region].sort().join('-');
  const far = pair === 'apac-eu' ? 230 : pair === 'apac-us' ? 160 : 85;
  return Math.round((same ? 8 + 35 * random() : far * (0.9 + 0.2 * random())) * 10) / 10;
}

/** A reproducible synthetic problem of the given size. Pure (no IO, no global randomness). */
export function generateProblem(opts: GenerateOptions): PlacementProblem {
  const random = seededRandom(opts.seed ?? 1);
  const slotMinutes = opts.slotMinutes ?? 60;
  const slots = opts.slots;
  const slotHours = slotMinutes / 60;
  const startMs = Date.UTC(2023, 2, 1, 0, 0, 0);
  const slotStartsUtc = Array.from({ length: slots }, (_v, t) =>
    new Date(startMs + t * slotMinutes * 60_000).toISOString().replace('.000Z', 'Z'),
  );
  const zoneSeries = new Map<string, { prices: number[]; carbon: number[] }>();
  const clusters: ClusterInput[] = [];
  for (let c = 0; c < opts.clusters; c++) {
    const zone = ZONES[c % ZONES.length] as Zone;
    let series = zoneSeries.get(zone.zone);
    if (!series) zoneSeries.set(zone.zone, (series = priceSeries(zone, slots, startMs, slotMinutes, random)));
    const gpus = 0.2 + random(); // relative size, scaled to the demand below
    const kwPerGpu = Math.round((0.9 + 0.5 * random()) * 100) / 100;
    const pue = Math.round((1.1 + 0.35 * random()) * 100) / 100;
    const hasPowerCap = random() < 0.2;
    const schedulableGpus: number[] = [];
    const powerCapKw: (number | null)[] = [];
    for (let t = 0; t < slots; t++) {
      const hour = (((startMs / 3_600_000 + t * slotHours) % 24) + zone.utcOffsetHours + 24) % 24;
      // Other tenants keep the cluster busier in local business hours.
      const busy = 0.25 + 0.35 * bump(hour, 14, 4) + 0.1 * random();
      schedulableGpus.push(gpus * (1 - busy));
      // Demand response: evening peak caps at 60–80 % of the free capacity's draw (scaled below).
      powerCapKw.push(
        hasPowerCap && bump(hour, 19, 1.5) > 0.5
          ? gpus * (1 - busy) * kwPerGpu * pue * (0.6 + 0.2 * random())
          : null,
      );
    }
    const latencyMsByOrigin: Record<string, number> = {};
    for (const origin of ORIGINS) latencyMsByOrigin[origin] = latencyMs(origin, zone.region, random);
    clusters.push({
      id: `${zone.zone.toLowerCase()}-${Math.floor(c / ZONES.length) + 1}`,
      zone: zone.zone,
      region: zone.region,
      gpuModel: 'H100',
      schedulableGpus,
      kwPerGpu,
      pue,
      ...(hasPowerCap ? { powerCapKw } : {}),
      pricePerMwh: series.prices,
      carbonGPerKwh: series.carbon,
      latencyMsByOrigin,
    });
  }

  const zonesByRegion = new Map<string, string[]>();
  for (const c of clusters) {
    const list = zonesByRegion.get(c.region ?? '') ?? [];
    if (!list.includes(c.zone)) list.push(c.zone);
    zonesByRegion.set(c.region ?? '', list);
  }
  const jobs: JobInput[] = [];
  const interactiveShare = opts.interactiveShare ?? 0.3;
  const pinShare = opts.pinShare ?? 0.02;
  const windowLengths = [1, 2, 4, 8, 12, 24, slots];
  let demandGpuHours = 0;
  for (let j = 0; j < opts.jobs; j++) {
    const tier = pick(random, Object.keys(TIERS), [0.2, 0.55, 0.25]);
    const maxGpus = pick(random, [1, 2, 4, 8, 16, 32, 64], [0.1, 0.15, 0.25, 0.25, 0.15, 0.07, 0.03]);
    const origin = pick(random, ORIGINS, [0.45, 0.4, 0.15]);
    const region = origin.slice(0, origin.indexOf('-'));
    const tokensPerSecondPerGpu = pick(random, TOKENS_PER_SECOND);
    const base = { id: `job-${j}`, maxGpus, tier, tokensPerSecondPerGpu };
    const residency = pick(random, ['region', 'zone', 'global'] as const, [0.6, 0.1, 0.3]);
    const homeZones = zonesByRegion.get(region) ?? [];
    const rules =
      residency === 'region'
        ? { residencyRegions: [region] }
        : residency === 'zone' && homeZones.length > 0
          ? { residencyZones: [pick(random, homeZones)] }
          : {};
    const pins =
      random() < pinShare
        ? random() < 0.5
          ? { mustNotRunIn: [pick(random, clusters).id] }
          : { mustRunIn: [pick(random, clusters).id, pick(random, clusters).id] }
        : undefined;
    if (random() < interactiveShare) {
      // Diurnal demand in the users' local time, peaking near maxGpus (sometimes above: parallelism).
      const peak = maxGpus * slotHours * (0.3 + 0.8 * random());
      const offset = origin === 'eu-users' ? 1 : origin === 'us-users' ? -6 : 8;
      const demand = Array.from({ length: slots }, (_v, t) => {
        const hour = (((startMs / 3_600_000 + t * slotHours) % 24) + offset + 24) % 24;
        return Math.round(peak * (0.35 + 0.65 * bump(hour, 15, 4)) * (0.9 + 0.2 * random()) * 1000) / 1000;
      });
      for (const d of demand) demandGpuHours += d;
      jobs.push({
        ...base,
        kind: 'interactive',
        demandGpuHours: demand,
        origin,
        latencySlaMs: random() < 0.7 ? 60 : 150,
        ...rules,
        ...(pins ? { pins } : {}),
      });
      continue;
    }
    const length = Math.min(slots, pick(random, windowLengths, [0.05, 0.05, 0.15, 0.2, 0.2, 0.2, 0.15]));
    const windowStartSlot = Math.floor(random() * (slots - length + 1));
    // Slots of work at full parallelism: mostly fits the window, sometimes (5 %) cannot make the deadline.
    const fullSlots =
      random() < 0.05 ? length * (1 + 0.2 * random()) : Math.max(0.1, length * random() * 0.8);
    const totalGpuHours = Math.round(maxGpus * slotHours * fullSlots * 1000) / 1000;
    demandGpuHours += totalGpuHours;
    jobs.push({
      ...base,
      kind: 'batch',
      totalGpuHours,
      windowStartSlot,
      deadlineSlot: windowStartSlot + length,
      ...rules,
      ...(pins ? { pins } : {}),
    });
  }
  // Size the clusters so that free capacity over the horizon is demand / load.
  let relativeGpuHours = 0;
  for (const c of clusters) for (const g of c.schedulableGpus) relativeGpuHours += g * slotHours;
  const scale = relativeGpuHours > 0 ? demandGpuHours / (opts.load ?? 0.7) / relativeGpuHours : 0;
  for (const c of clusters) {
    c.schedulableGpus = c.schedulableGpus.map((g) => Math.round(g * scale));
    if (c.powerCapKw)
      c.powerCapKw = c.powerCapKw.map((kw) => (kw === null ? null : Math.round(kw * scale * 10) / 10));
  }
  const problem: PlacementProblem = {
    slotStartsUtc,
    slotMinutes,
    currency: 'EUR',
    clusters,
    jobs,
    tierPenaltiesPerGpuHour: { ...TIERS },
  };
  if (opts.carbonPricePerTonne !== undefined) problem.carbonPricePerTonne = opts.carbonPricePerTonne;
  return problem;
}
