import { describe, expect, it } from 'vitest';
import { decodeLoadMessage, decodePriceMessage, encodeMessage } from '#gridshift/contracts';
import { parsePriceCsv } from '#gridshift/datasets';
import { ClusterSpecSchema } from '#gridshift/fleet';
import { dayAheadMessages, loadReportMessages } from './messages.js';
import { replay } from './replay.js';

const csv = [
  'Datetime,Price (EUR/MWh)',
  ...Array.from({ length: 72 }, (_, h) => {
    const day = 1 + Math.floor(h / 24);
    return `2023-03-0${day} ${String(h % 24).padStart(2, '0')}:00:00,${(50 + h).toFixed(2)}`;
  }),
].join('\n');
const fx = { base: 'USD', perBase: { USD: 1, EUR: 0.925 } };

describe('simulated partner and data-center messages', () => {
  it('emits one valid day-ahead curve per zone and UTC day, issued the day before', () => {
    const series = parsePriceCsv(csv, 'DE-LU'); // naive Paris time: 2023-03-01 00:00 = 2023-02-28T23:00Z
    const msgs = dayAheadMessages({
      series: [series],
      fromUtc: '2023-03-01T00:00:00Z',
      toUtc: '2023-03-03T00:00:00Z',
      partnerId: 'sim',
    });
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.value.points).toHaveLength(24);
    expect(msgs[0]!.value.issuedAt).toBe('2023-02-28T11:00:00.000Z');
    expect(msgs[0]!.value.points[0]).toMatchObject({ intervalStart: '2023-03-01T00:00:00.000Z', price: 51 });
    for (const m of msgs) {
      const decoded = decodePriceMessage(m.key, encodeMessage(m.value), { fx });
      expect(decoded.ok).toBe(true);
    }
  });

  it('emits valid load reports that follow the daily shape', () => {
    const cluster = ClusterSpecSchema.parse({
      id: 'fra-1',
      region: 'eu',
      zone: 'DE-LU',
      gpuModel: 'H100',
      gpuTotal: 1000,
      kwPerGpu: 0.7,
      pue: 1.2,
    });
    const msgs = loadReportMessages({
      clusters: [cluster],
      fromUtc: '2023-03-01T00:00:00Z',
      toUtc: '2023-03-02T00:00:00Z',
      intervalMinutes: 60,
    });
    expect(msgs).toHaveLength(24);
    const at4 = msgs[4]!.value;
    const at16 = msgs[16]!.value;
    expect(at16.gpuBusy).toBeGreaterThan(at4.gpuBusy + 250); // 0.70 vs 0.35 of 1000 GPUs, ±2 %
    for (const m of msgs) expect(decodeLoadMessage(m.key, encodeMessage(m.value)).ok).toBe(true);
  });

  it('paces by simulated time', async () => {
    const messages = [0, 1000, 2000].map((atMs) => ({
      atMs,
      key: 'k',
      value: atMs,
      messageId: String(atMs),
    }));
    const sentAt: number[] = [];
    const started = Date.now();
    await replay(
      messages,
      (batch) => {
        sentAt.push(...batch.map(() => Date.now() - started));
        return Promise.resolve();
      },
      { speed: 10 },
    ); // 1 simulated second = 100 ms
    expect(sentAt).toHaveLength(3);
    expect(sentAt[2]!).toBeGreaterThanOrEqual(190);
    expect(sentAt[2]!).toBeLessThan(1000);
  });
});
