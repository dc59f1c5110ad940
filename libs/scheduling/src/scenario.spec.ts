import { describe, expect, it } from 'vitest';
import { InvalidScenarioError } from './errors.js';
import type { PlanningInputs } from './inputs.js';
import { applyScenario, parseScenario } from './scenario.js';
import { DEFAULT_PLANNING_SETTINGS } from './settings.js';

const slots = ['2024-05-01T10:00:00.000Z', '2024-05-01T11:00:00.000Z'];
const inputs = {
  slotStartsUtc: slots,
  zones: [{ zone: 'DE-LU', pricePerMwh: [50, 60], carbonGPerKwh: [null, null], source: [], issuedAtUtc: [] }],
  clusters: [{ id: 'fra', schedulableGpus: [10, 11] }],
  jobs: [{ id: 'j', tokensPerHour: 100, totalTokens: null }],
  assumptions: [],
  settings: DEFAULT_PLANNING_SETTINGS,
} as unknown as PlanningInputs;

describe('applyScenario', () => {
  it('multiplies and overrides prices and capacity, scales demand, and never mutates the inputs', () => {
    const out = applyScenario(
      inputs,
      parseScenario({
        priceMultiplierByZone: { 'DE-LU': 2 },
        priceOverrides: [{ zone: 'DE-LU', fromUtc: slots[1], pricePerMwh: -5 }],
        capacityMultiplierByCluster: { fra: 0.5 },
        demandMultiplier: 3,
        carbonPricePerTonne: 80,
      }),
    );
    // 50 × 2 = 100; slot 1 overridden to −5. GPUs ⌊10 × 0.5⌋ = 5, ⌊11 × 0.5⌋ = 5.
    expect(out.zones[0]!.pricePerMwh).toEqual([100, -5]);
    expect(out.clusters[0]!.schedulableGpus).toEqual([5, 5]);
    expect(out.jobs[0]!.tokensPerHour).toBe(300);
    expect(out.settings.carbonPricePerTonne).toBe(80);
    expect(out.assumptions.at(-1)!.code).toBe('scenario');
    expect(inputs.zones[0]!.pricePerMwh).toEqual([50, 60]);
  });

  it.each([
    [{ priceMultiplierByZone: { XX: 2 } }, 'priceMultiplierByZone.XX'],
    [{ unavailableClusters: ['nope'] }, 'unavailableClusters.0'],
    [{ capacityOverrides: [{ clusterId: 'fra', gpus: -1 }] }, 'capacityOverrides.0.gpus'],
    [{ bogus: 1 }, '(root)'],
  ])('rejects %j naming %s', (scenario, path) => {
    let error: unknown;
    try {
      applyScenario(inputs, parseScenario(scenario));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidScenarioError);
    expect((error as InvalidScenarioError).path).toBe(path);
  });
});
