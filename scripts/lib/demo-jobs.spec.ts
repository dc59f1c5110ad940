import { describe, expect, it } from 'vitest';
import { JobSpecSchema } from '#gridshift/fleet';
import { batchReleases } from './demo-jobs.js';

const day = Date.parse('2023-03-15T00:00:00Z');
const job = (fields: Record<string, unknown>) =>
  JobSpecSchema.parse({
    id: 'summarize-eu',
    model: 'm',
    kind: 'batch',
    tokensPerSecondPerGpu: { H100: 1000 },
    origin: 'eu',
    maxGpus: 8,
    totalTokens: 2.4e9,
    ...fields,
  });

describe('batchReleases', () => {
  it('keeps one job with the day window when the spec has no releaseEveryHours', () => {
    expect(batchReleases(job({ windowStartHour: 6, deadlineHour: 20 }), day)).toEqual([
      {
        id: 'summarize-eu',
        name: 'summarize-eu',
        windowStartUtc: '2023-03-15T06:00:00.000Z',
        deadlineUtc: '2023-03-15T20:00:00.000Z',
        totalTokens: 2.4e9,
      },
    ]);
  });

  it('registers hourly releases with 24 h windows: 24 of today, 23 carried over from yesterday', () => {
    const releases = batchReleases(job({ windowStartHour: 0, deadlineHour: 24, releaseEveryHours: 1 }), day);
    expect(releases).toHaveLength(47); // yesterday 00:00 is due at today 00:00: nothing left
    const byId = new Map(releases.map((r) => [r.id, r]));
    expect(byId.get('summarize-eu-h07')).toMatchObject({
      windowStartUtc: '2023-03-15T07:00:00.000Z',
      deadlineUtc: '2023-03-16T07:00:00.000Z',
      totalTokens: 2.4e9,
    });
    // released 2023-03-14 07:00, due 2023-03-15 07:00: 7 of its 24 hours are left → 7/24 × 2.4e9 = 7e8
    expect(byId.get('summarize-eu-prev-h07')).toMatchObject({
      name: 'summarize-eu (released 2023-03-14 07:00 UTC)',
      windowStartUtc: '2023-03-15T00:00:00.000Z',
      deadlineUtc: '2023-03-15T07:00:00.000Z',
    });
    expect(byId.get('summarize-eu-prev-h07')?.totalTokens).toBeCloseTo(7e8, 0);
    expect(byId.has('summarize-eu-prev-h00')).toBe(false);
    // registered: 24 fresh releases + carried-over shares (1 + … + 23)/24 = 24 + 11.5 releases' tokens
    const total = releases.reduce((s, r) => s + r.totalTokens, 0);
    expect(total / 2.4e9).toBeCloseTo(35.5, 9);
  });

  it('spaces releases by releaseEveryHours from windowStartHour', () => {
    // every 12 h from 18:00 with 10 h windows: 18:00 and 06:00 (= 18 + 12 − 24); yesterday's 18:00 runs to 04:00
    const ids = batchReleases(job({ windowStartHour: 18, deadlineHour: 28, releaseEveryHours: 12 }), day).map(
      (r) => [r.id, r.windowStartUtc, r.deadlineUtc],
    );
    expect(ids).toEqual([
      ['summarize-eu-prev-h18', '2023-03-15T00:00:00.000Z', '2023-03-15T04:00:00.000Z'],
      ['summarize-eu-h06', '2023-03-15T06:00:00.000Z', '2023-03-15T16:00:00.000Z'],
      ['summarize-eu-h18', '2023-03-15T18:00:00.000Z', '2023-03-16T04:00:00.000Z'],
    ]);
  });

  it('names releases from two days back and rejects ids the API would refuse', () => {
    const ids = batchReleases(job({ windowStartHour: 0, deadlineHour: 48, releaseEveryHours: 24 }), day).map(
      (r) => r.id,
    );
    expect(ids).toEqual(['summarize-eu-prev-h00', 'summarize-eu-h00']); // 2 days back is due at today 00:00
    expect(() => batchReleases(job({ id: 'x'.repeat(60), releaseEveryHours: 1 }), day)).toThrow(
      'longer than 64 characters',
    );
  });
});
