import { z } from 'zod';
import { InvalidScenarioError } from './errors.js';
import type { PlanningInputs } from './inputs.js';

const isoUtc = z.iso.datetime({ offset: true });
/**
 * A what-if number inside a plausible range (outside it is a typo): 400 naming the field and the bound,
 * and the range in the OpenAPI description.
 */
const plausible = (min: number, max: number, what: string, kind: 'number' | 'integer' = 'number') => {
  const [lo, hi] = [min.toLocaleString('en-US'), max.toLocaleString('en-US')];
  const range = `${lo} to ${hi}`;
  return (kind === 'integer' ? z.number().int() : z.number())
    .min(min, { message: `must be at least ${lo} (plausible range ${range})` })
    .max(max, { message: `must be at most ${hi} (plausible range ${range})` })
    .describe(`${what} Plausible range: ${range}.`);
};
/** Prices as the ingest accepts them by default (PRICE_MIN_PER_MWH / PRICE_MAX_PER_MWH). */
const pricePerMwh = plausible(-10_000, 100_000, 'Price, base currency per MWh.');

/** A what-if scenario: changes applied to the planner's inputs before solving. Every field is optional. */
export const WhatIfScenarioSchema = z.strictObject({
  /** Multiply every price of a zone, e.g. { "DE-LU": 1.5 }. */
  priceMultiplierByZone: z.record(z.string().min(1), plausible(0, 100, 'Price multiplier.')).optional(),
  /** Set a zone's price (base currency per MWh) for slots starting in [fromUtc, toUtc) (default: all slots). */
  priceOverrides: z
    .array(
      z.strictObject({
        zone: z.string().min(1),
        pricePerMwh,
        fromUtc: isoUtc.optional(),
        toUtc: isoUtc.optional(),
      }),
    )
    .optional(),
  /** Multiply a cluster's schedulable GPUs, e.g. { "fra-1": 0.5 } (rounded down to whole GPUs). */
  capacityMultiplierByCluster: z
    .record(z.string().min(1), plausible(0, 10, 'Capacity multiplier.'))
    .optional(),
  /** Set a cluster's schedulable GPUs for slots starting in [fromUtc, toUtc) (default: all slots). */
  capacityOverrides: z
    .array(
      z.strictObject({
        clusterId: z.string().min(1),
        gpus: plausible(0, 1_000_000, 'Schedulable GPUs.', 'integer'),
        fromUtc: isoUtc.optional(),
        toUtc: isoUtc.optional(),
      }),
    )
    .optional(),
  /** Clusters treated as unavailable (0 GPUs in every slot). */
  unavailableClusters: z.array(z.string().min(1)).optional(),
  /** Multiply every job's token demand. */
  demandMultiplier: plausible(0, 100, 'Demand multiplier.').optional(),
  /** Carbon price, base currency per tonne CO2. */
  carbonPricePerTonne: plausible(0, 100_000, 'Carbon price, base currency per tonne CO2.').optional(),
});

export type WhatIfScenario = z.infer<typeof WhatIfScenarioSchema>;

/** Validates a scenario; throws `InvalidScenarioError` naming the first bad field. */
export function parseScenario(input: unknown): WhatIfScenario {
  const parsed = WhatIfScenarioSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidScenarioError(issue.path.map(String).join('.') || '(root)', issue.message);
  }
  return parsed.data;
}

/**
 * Applies a scenario to planning inputs (pure: returns new inputs). Unknown zones or clusters are
 * errors, so a typo cannot silently produce a plan equal to the real one.
 */
export function applyScenario(inputs: PlanningInputs, scenario: WhatIfScenario): PlanningInputs {
  const zones = new Set(inputs.zones.map((z) => z.zone));
  const clusters = new Set(inputs.clusters.map((c) => c.id));
  const checkZone = (zone: string, path: string) => {
    if (!zones.has(zone))
      throw new InvalidScenarioError(path, `unknown zone ${zone} (known: ${[...zones].join(', ')})`);
  };
  const checkCluster = (id: string, path: string) => {
    if (!clusters.has(id)) throw new InvalidScenarioError(path, `unknown cluster ${id}`);
  };
  const slotMs = inputs.slotStartsUtc.map((s) => Date.parse(s));
  const inRange = (t: number, fromUtc?: string, toUtc?: string) =>
    (fromUtc === undefined || slotMs[t]! >= Date.parse(fromUtc)) &&
    (toUtc === undefined || slotMs[t]! < Date.parse(toUtc));

  const zoneSeries = inputs.zones.map((z) => ({ ...z, pricePerMwh: [...z.pricePerMwh] }));
  for (const [zone, m] of Object.entries(scenario.priceMultiplierByZone ?? {})) {
    checkZone(zone, `priceMultiplierByZone.${zone}`);
    const series = zoneSeries.find((z) => z.zone === zone)!;
    series.pricePerMwh = series.pricePerMwh.map((p) => p * m);
  }
  (scenario.priceOverrides ?? []).forEach((o, i) => {
    checkZone(o.zone, `priceOverrides.${i}.zone`);
    const series = zoneSeries.find((z) => z.zone === o.zone)!;
    series.pricePerMwh = series.pricePerMwh.map((p, t) =>
      inRange(t, o.fromUtc, o.toUtc) ? o.pricePerMwh : p,
    );
  });

  const unavailable = new Set(scenario.unavailableClusters ?? []);
  (scenario.unavailableClusters ?? []).forEach((id, i) => checkCluster(id, `unavailableClusters.${i}`));
  const clusterList = inputs.clusters.map((c) => {
    let gpus = [...c.schedulableGpus];
    const m = scenario.capacityMultiplierByCluster?.[c.id];
    if (m !== undefined) gpus = gpus.map((g) => Math.floor(g * m));
    for (const o of scenario.capacityOverrides ?? []) {
      if (o.clusterId === c.id) gpus = gpus.map((g, t) => (inRange(t, o.fromUtc, o.toUtc) ? o.gpus : g));
    }
    if (unavailable.has(c.id)) gpus = gpus.map(() => 0);
    return { ...c, schedulableGpus: gpus };
  });
  for (const id of Object.keys(scenario.capacityMultiplierByCluster ?? {})) {
    checkCluster(id, `capacityMultiplierByCluster.${id}`);
  }
  (scenario.capacityOverrides ?? []).forEach((o, i) =>
    checkCluster(o.clusterId, `capacityOverrides.${i}.clusterId`),
  );

  const d = scenario.demandMultiplier;
  const jobs =
    d === undefined
      ? inputs.jobs
      : inputs.jobs.map((j) => ({
          ...j,
          tokensPerHour: j.tokensPerHour === null ? null : j.tokensPerHour * d,
          totalTokens: j.totalTokens === null ? null : j.totalTokens * d,
        }));
  const settings =
    scenario.carbonPricePerTonne === undefined
      ? inputs.settings
      : { ...inputs.settings, carbonPricePerTonne: scenario.carbonPricePerTonne };
  return {
    ...inputs,
    zones: zoneSeries,
    clusters: clusterList,
    jobs,
    settings,
    assumptions: [
      ...inputs.assumptions,
      { code: 'scenario', message: 'what-if scenario applied to the inputs', details: { scenario } },
    ],
  };
}
