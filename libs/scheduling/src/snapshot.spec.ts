import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, snapshotDocument, snapshotHash, type InputSnapshot } from './snapshot.js';

/** The definition canonicalJson implements: a recursive serialiser with sorted keys. */
function referenceCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value))
    return `[${value.map((v: unknown) => (v === undefined ? 'null' : referenceCanonical(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceCanonical(record[k])}`).join(',')}}`;
}

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: null })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":null}',
    );
  });
  it('equals the recursive definition on any JSON-like value', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY),
        fc.double(),
        fc.string(),
        fc.boolean(),
        fc.array(tie('value')),
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('10', '9', 'a', 'B', '__proto__x')),
          tie('value'),
        ),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonical(value));
      }),
      { numRuns: 500 },
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
  const snap = {
    formatVersion: 1,
    nowUtc: '2026-01-01T00:00:00.000Z',
    horizonStartUtc: 'h',
    problem: { jobs: [{ id: 'j"1', maxGpus: 2, note: undefined }], slotStartsUtc: ['a', 'b'] },
  } as unknown as InputSnapshot;

  it('stores the job set apart, under the SHA-256 of its text, and the rest without it', () => {
    const { hash, json, jobs } = snapshotDocument(snap);
    expect(hash).toBe(snapshotHash(snap));
    expect(JSON.parse(jobs!.json)).toEqual([{ id: 'j"1', maxGpus: 2 }]);
    expect(jobs!.hash).toBe(createHash('sha256').update(jobs!.json).digest('hex'));
    const rest = JSON.parse(json) as InputSnapshot;
    expect(rest).toEqual({ ...JSON.parse(JSON.stringify(snap)), problem: { slotStartsUtc: ['a', 'b'] } });
    // Read back whole (the job set put back), it hashes the same.
    const whole = JSON.parse(json) as { problem: Record<string, unknown> };
    whole.problem.jobs = JSON.parse(jobs!.json) as unknown;
    expect(snapshotHash(whole as unknown as InputSnapshot)).toBe(hash);
  });

  it('hashes the job set by content: the same jobs give the same part, other jobs another hash', () => {
    const again = { ...snap, nowUtc: 'later', problem: { ...snap.problem, slotStartsUtc: ['c', 'd'] } };
    const other = {
      ...snap,
      problem: { ...snap.problem, jobs: [{ id: 'j2', maxGpus: 2 }] },
    } as InputSnapshot;
    expect(snapshotDocument(again).jobs).toEqual(snapshotDocument(snap).jobs);
    expect(snapshotDocument(again).hash).not.toBe(snapshotDocument(snap).hash);
    expect(snapshotDocument(other).jobs!.hash).not.toBe(snapshotDocument(snap).jobs!.hash);
    expect(snapshotDocument(other).hash).not.toBe(snapshotDocument(snap).hash);
  });

  it('reuses a job set serialised before only when the jobs are equal', () => {
    const first = snapshotDocument(snap);
    const reuse = { jobs: structuredClone(snap.problem.jobs), part: { hash: 'h', json: 'reused' } };
    // Equal jobs (another array with the same content): the earlier text and hash are taken as they are.
    expect(snapshotDocument(snap, reuse).jobs).toBe(reuse.part);
    const changed = {
      ...snap,
      problem: { ...snap.problem, jobs: [{ id: 'j"1', maxGpus: 3 }] },
    } as InputSnapshot;
    expect(snapshotDocument(changed, reuse).jobs).toEqual(snapshotDocument(changed).jobs);
    expect(snapshotDocument(snap, { jobs: snap.problem.jobs, part: first.jobs! })).toEqual(first);
  });

  it('keeps a snapshot without a job array whole', () => {
    const bare = { formatVersion: 1, horizonStartUtc: 'h' } as unknown as InputSnapshot;
    expect(snapshotDocument(bare)).toEqual({
      hash: snapshotHash(bare),
      json: '{"formatVersion":1,"horizonStartUtc":"h"}',
      jobs: null,
    });
  });
});
