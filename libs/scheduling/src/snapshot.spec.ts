import { describe, expect, it } from 'vitest';
import { canonicalJson, snapshotHash, type InputSnapshot } from './snapshot.js';

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: null })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":null}',
    );
  });
  it('equals after a JSON round trip with reordered keys (as jsonb does)', () => {
    const value = { zeta: [1.5, -0.1, 1e-7], alpha: 'ü', mid: { k: true } };
    const reordered = JSON.parse('{"mid":{"k":true},"alpha":"ü","zeta":[1.5,-0.1,1e-7]}') as unknown;
    expect(canonicalJson(reordered)).toBe(canonicalJson(value));
  });
});

describe('snapshotHash', () => {
  it('ignores the planning clock but not the inputs', () => {
    const snap = {
      formatVersion: 1,
      nowUtc: 'a',
      horizonStartUtc: 'h',
      problem: { jobs: [] },
    } as unknown as InputSnapshot;
    expect(snapshotHash(snap)).toBe(snapshotHash({ ...snap, nowUtc: 'b' }));
    expect(snapshotHash(snap)).not.toBe(snapshotHash({ ...snap, horizonStartUtc: 'h2' }));
    expect(snapshotHash(snap)).toMatch(/^[0-9a-f]{64}$/);
  });
});
