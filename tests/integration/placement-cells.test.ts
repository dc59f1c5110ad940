/**
 * Placements stored per (cluster, slot) cell (migration 1732380000020): what the planner's store writes reads
 * back exactly, through the library and through the `placements` view, whatever the job ids contain.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import {
  loadPlacements,
  storeSchedule,
  type ScheduleRecord,
  type SchedulePlacement,
} from '#gridshift/scheduling';
import { freshSchema } from '../support/harness.js';
import { HOUR_MS } from './planner-fixtures.js';

let db: DataSource;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
});

afterAll(async () => {
  await drop();
});

function whatIf(placements: SchedulePlacement[], horizonStartUtc: string): ScheduleRecord {
  const totals = { currency: 'USD', totalCost: 0, energyCost: 0, servedGpuHours: 0 };
  return {
    id: randomUUID(),
    kind: 'what-if',
    trigger: 'test',
    leaderEpoch: 0,
    horizonStartUtc,
    horizonEndUtc: new Date(Date.parse(horizonStartUtc) + 3 * HOUR_MS).toISOString(),
    slotMinutes: 60,
    snapshot: {} as ScheduleRecord['snapshot'],
    inputHash: 'h',
    account: {
      totals,
      baselines: {},
      savings: {},
      shortfalls: [],
      explanations: [],
      solver: {},
    } as unknown as ScheduleRecord['account'],
    assumptions: [],
    approval: null,
    phaseMs: {},
    placements,
  };
}

const sorted = (list: SchedulePlacement[]) =>
  [...list].sort((a, b) =>
    `${a.clusterId}|${a.slotStartUtc}|${a.jobId}` < `${b.clusterId}|${b.slotStartUtc}|${b.jobId}` ? -1 : 1,
  );

describe('placements stored per cell', () => {
  it('read back exactly, with job ids that need quoting in an array literal', async () => {
    const h0 = Date.UTC(2026, 0, 1);
    const slot = (i: number) => new Date(h0 + i * HOUR_MS).toISOString();
    const odd = [
      'plain',
      'with "quotes"',
      'back\\slash',
      'comma,brace{}',
      'NULL',
      ' spaced ',
      'tab\there',
      'ünï',
    ];
    const placements: SchedulePlacement[] = [];
    odd.forEach((jobId, j) => {
      for (let s = 0; s < 3; s += 1) {
        placements.push({
          jobId,
          clusterId: `c${(j + s) % 2}`,
          slotStartUtc: slot(s),
          gpus: j + s,
          gpuHours: (j + s) * 0.1 + 0.2,
        });
      }
    });
    const record = whatIf(placements, slot(0));
    await storeSchedule(db, record, { writerEpoch: null });

    expect(sorted(await loadPlacements(db, record.id))).toEqual(sorted(placements));
    const viaView = await db.query<
      { job_id: string; cluster_id: string; slot_start: Date; gpus: number; gpu_hours: number }[]
    >(`select job_id, cluster_id, slot_start, gpus, gpu_hours from placements where schedule_id = $1`, [
      record.id,
    ]);
    expect(
      sorted(
        viaView.map((r) => ({
          jobId: r.job_id,
          clusterId: r.cluster_id,
          slotStartUtc: r.slot_start.toISOString(),
          gpus: r.gpus,
          gpuHours: r.gpu_hours,
        })),
      ),
    ).toEqual(sorted(placements));
    const [cells] = await db.query<{ n: number }[]>(
      `select count(*)::int as n from placement_cells where schedule_id = $1`,
      [record.id],
    );
    expect(cells!.n).toBe(2 * 3);
  });

  it('rejects a job twice in one cell and negative GPUs', async () => {
    const start = new Date(Date.UTC(2026, 0, 1)).toISOString();
    const p = { jobId: 'j', clusterId: 'c', slotStartUtc: start, gpus: 1, gpuHours: 1 };
    await expect(
      storeSchedule(db, whatIf([p, { ...p }], start), { writerEpoch: null }),
    ).rejects.toMatchObject({
      code: '23514',
    });
    await expect(
      storeSchedule(db, whatIf([{ ...p, gpus: -1 }], start), { writerEpoch: null }),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('tells job ids apart by their bytes (migration 42): one cell takes ids a collation may sort as equal', async () => {
    const start = new Date(Date.UTC(2026, 0, 1)).toISOString();
    // "ä" composed (NFC) and decomposed (NFD), case variants and a trailing space: all different ids.
    const ids = ['\u00e4', 'a\u0308', 'A', 'a', 'a '];
    const placements = ids.map((jobId, i) => ({
      jobId,
      clusterId: 'c',
      slotStartUtc: start,
      gpus: i + 1,
      gpuHours: i + 1,
    }));
    const record = whatIf(placements, start);
    await storeSchedule(db, record, { writerEpoch: null });
    expect(sorted(await loadPlacements(db, record.id))).toEqual(sorted(placements));
    const twice = [...placements, { ...placements[1]! }];
    await expect(storeSchedule(db, whatIf(twice, start), { writerEpoch: null })).rejects.toMatchObject({
      code: '23514',
    });
  });
});
