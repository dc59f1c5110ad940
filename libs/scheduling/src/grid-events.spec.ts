import { describe, expect, it } from 'vitest';
import type { GridEventRow } from '#gridshift/persistence';
import { detectSignificantChange, DEFAULT_CHANGE_THRESHOLDS } from './changes.js';
import {
  applyGridEvents,
  eventCaps,
  gridEventAssumptions,
  gridEventOrderReasons,
  type ActiveGridEvent,
} from './grid-events.js';
import type { PlanningCluster, PlanningInputs } from './inputs.js';
import { DEFAULT_PLANNING_SETTINGS } from './settings.js';
import type { MarketSignature } from './snapshot.js';

const H = 3_600_000;
const t0 = Date.UTC(2023, 2, 15, 16);
const slots = [0, 1, 2, 3].map((i) => new Date(t0 + i * H).toISOString());

function cluster(
  id: string,
  zone: string,
  schedulable: number,
  powerCapKw: number | null = null,
): PlanningCluster {
  // 0.8 kW × PUE 1.25 = 1 kW per GPU.
  return {
    id,
    name: id,
    region: 'eu',
    zone,
    gpuModel: 'H100',
    gpuTotal: 100,
    kwPerGpu: 0.8,
    pue: 1.25,
    powerCapKw,
    latencyMsByOrigin: {},
    state: null,
    schedulableGpus: slots.map(() => schedulable),
  };
}

const inputs: PlanningInputs = {
  nowUtc: slots[0]!,
  horizonStartUtc: slots[0]!,
  slotMinutes: 60,
  slotStartsUtc: slots,
  clusters: [cluster('fra-1', 'DE-LU', 60), cluster('fra-2', 'DE-LU', 20, 50), cluster('par-1', 'FR', 40)],
  zones: [
    {
      zone: 'DE-LU',
      pricePerMwh: [40, 40, 40, 40],
      carbonGPerKwh: [300, 300, 300, 300],
      source: [],
      issuedAtUtc: [],
    },
    {
      zone: 'FR',
      pricePerMwh: [70, 70, 70, 70],
      carbonGPerKwh: [null, null, null, null],
      source: [],
      issuedAtUtc: [],
    },
  ],
  jobs: [],
  assumptions: [],
  settings: DEFAULT_PLANNING_SETTINGS,
};

function event(
  id: string,
  intervals: Partial<GridEventRow['intervals'][number]>[],
  over: Partial<GridEventRow> = {},
): ActiveGridEvent {
  return {
    baseline: null,
    event: {
      eventId: id,
      programId: 'p',
      modificationNumber: 0,
      priority: 0,
      zones: ['DE-LU'],
      clusterIds: null,
      compliance: 'mandatory',
      incentivePerMwh: null,
      cancelled: false,
      contentHash: 'x',
      startsAtUtc: slots[1]!,
      endsAtUtc: slots[3]!,
      baselineScheduleId: null,
      receivedAtUtc: slots[0]!,
      updatedAtUtc: slots[0]!,
      intervals: intervals.map((i) => ({
        startUtc: slots[1]!,
        endUtc: slots[3]!,
        capKw: null,
        reductionKw: null,
        reductionPct: null,
        priceAdderPerMwh: null,
        carbonGPerKwh: null,
        ...i,
      })),
      ...over,
    },
  };
}

describe('grid events → planning inputs', () => {
  it('spreads a zone cap over the targets by their schedulable facility power', () => {
    // 40 kW over fra-1 (60 GPUs = 60 kW of room) and fra-2 (20 kW): 40 × 60/80 = 30 and 40 × 20/80 = 10.
    const { caps } = eventCaps(inputs, event('e', [{ capKw: 40 }]));
    expect(caps.map((c) => [c.clusterId, c.slotStartUtc, c.capKw])).toEqual([
      ['fra-1', slots[1], 30],
      ['fra-1', slots[2], 30],
      ['fra-2', slots[1], 10],
      ['fra-2', slots[2], 10],
    ]);
  });

  it('the lowest cap wins (events and the cluster’s own), marked as a grid-event cap only where the event set it', () => {
    const { inputs: out } = applyGridEvents(
      inputs,
      [event('a', [{ capKw: 400 }]), event('b', [{ capKw: 80, startUtc: slots[2]!, endUtc: slots[3]! }])],
      new Set(),
    );
    // a: 400 × 60/80 = 300 (fra-1), 100 (fra-2, own cap 50 wins); b in slot 2: 60 and 20.
    expect(out.clusters[0]!.powerCapKw).toEqual([null, 300, 60, null]);
    expect(out.clusters[0]!.gridEventCap).toEqual([false, true, true, false]);
    expect(out.clusters[1]!.powerCapKw).toEqual([50, 50, 20, 50]);
    expect(out.clusters[1]!.gridEventCap).toEqual([false, false, true, false]);
    expect(out.clusters[2]).toBe(inputs.clusters[2]); // FR untouched
    expect(inputs.clusters[0]!.powerCapKw).toBeNull(); // the inputs are not changed
  });

  it('adds PRICE weighted by the covered share of the slot and replaces carbon with GHG', () => {
    // 30 minutes of slot 1 at +100 /MWh → +50; carbon 300 half replaced by 100 → 200.
    const half = new Date(t0 + 1.5 * H).toISOString();
    const { inputs: out, applied } = applyGridEvents(
      inputs,
      [event('p', [{ startUtc: slots[1]!, endUtc: half, priceAdderPerMwh: 100, carbonGPerKwh: 100 }])],
      new Set(),
    );
    expect(out.zones[0]!.pricePerMwh).toEqual([40, 90, 40, 40]);
    expect(out.zones[0]!.carbonGPerKwh).toEqual([300, 200, 300, 300]);
    expect(applied[0]!.priceAdders).toEqual([{ zone: 'DE-LU', slotStartUtc: slots[1], perMwh: 50 }]);
  });

  it('a voluntary event’s caps apply only when it is followed; LOAD_REDUCTION without a baseline is reported', () => {
    const v = event('v', [{ capKw: 0 }], { compliance: 'voluntary', incentivePerMwh: 10 });
    expect(applyGridEvents(inputs, [v], new Set()).inputs.clusters[0]!.powerCapKw).toBeNull();
    expect(applyGridEvents(inputs, [v], new Set(['v'])).inputs.clusters[0]!.powerCapKw).toEqual([
      null,
      0,
      0,
      null,
    ]);
    const r = eventCaps(inputs, event('r', [{ reductionPct: 30 }]));
    expect(r.caps).toEqual([]);
    expect(r.notes[0]).toContain('LOAD_REDUCTION not applied');
  });
});

describe('order reasons from the honoured events', () => {
  it('each targeted cluster names the honoured events (capped or only priced); declined ones are left out', () => {
    const capped = event('cap', [{ capKw: 40 }], { modificationNumber: 2 }); // caps fra-1 and fra-2
    const priced = event('price', [{ priceAdderPerMwh: 10 }], { clusterIds: ['fra-2'] }); // no caps
    const declined = event('vol', [{ capKw: 0 }], { compliance: 'voluntary', incentivePerMwh: 1 });
    const decision = {
      followed: false,
      costIfIgnored: 1,
      costIfFollowed: 9,
      excessMwhIfIgnored: 1,
      incentivePerMwh: 1,
      forgoneIncentive: 1,
    };
    const { applied } = applyGridEvents(
      inputs,
      [capped, priced, declined],
      new Set(),
      new Map([['vol', decision]]),
    );
    const reasons = gridEventOrderReasons(gridEventAssumptions(applied));
    const r = (eventId: string, modificationNumber: number, isCapped: boolean) => ({
      code: 'grid-event',
      eventId,
      programId: 'p',
      modificationNumber,
      compliance: 'mandatory',
      capped: isCapped,
    });
    expect(reasons.get('fra-1')).toEqual([r('cap', 2, true)]);
    expect(reasons.get('fra-2')).toEqual([r('cap', 2, true), r('price', 0, false)]);
    expect(reasons.has('par-1')).toBe(false); // FR: not a target
    // Stored assumptions of other kinds are ignored.
    expect(gridEventOrderReasons([{ code: 'price-stale', details: {} }, null]).size).toBe(0);
  });
});

describe('change detection with grid events', () => {
  const base: MarketSignature = {
    horizonStartUtc: slots[0]!,
    slotStartsUtc: slots,
    pricePerMwhByZone: {},
    schedulableGpusByCluster: {},
    dayAheadIssuedAtByZone: {},
  };
  it.each([
    { name: 'new event', before: undefined, now: { e: 0 }, want: 'grid event e: new (revision 0)' },
    { name: 'new revision', before: { e: 0 }, now: { e: 1 }, want: 'grid event e: revision 0 → 1' },
    { name: 'cancelled', before: { e: 1 }, now: undefined, want: 'grid event e: cancelled or over' },
  ])('$name → trigger grid-event', ({ before, now, want }) => {
    const change = detectSignificantChange(
      { ...base, ...(before ? { gridEventRevisions: before } : {}) },
      { ...base, ...(now ? { gridEventRevisions: now } : {}) },
      DEFAULT_CHANGE_THRESHOLDS,
    );
    expect(change).toEqual({ trigger: 'grid-event', reasons: [want] });
  });
  it('the same revisions are no change', () => {
    expect(
      detectSignificantChange(
        { ...base, gridEventRevisions: { e: 2 } },
        { ...base, gridEventRevisions: { e: 2 } },
        DEFAULT_CHANGE_THRESHOLDS,
      ),
    ).toBeNull();
  });
});
