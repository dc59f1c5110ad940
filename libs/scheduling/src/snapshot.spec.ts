import { describe, expect, it } from 'vitest';
import { canonicalJson, snapshotDocument, snapshotHash, type InputSnapshot } from './snapshot.js';

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

describe('snapshotDocument', () => {
  it('stores text that parses back to the snapshot and hashes like snapshotHash', () => {
    const snap = {
      formatVersion: 1,
      nowUtc: '2026-01-01T00:00:00.000Z',
      horizonStartUtc: 'h',
      problem: { jobs: [{ id: 'j"1', maxGpus: 2, note: undefined }], slotStartsUtc: ['a', 'b'] },
    } as unknown as InputSnapshot;
    const { hash, json } = snapshotDocument(snap);
    expect(hash).toBe(snapshotHash(snap));
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(snap)));
    expect(snapshotHash(JSON.parse(json) as InputSnapshot)).toBe(hash);
  });
});
