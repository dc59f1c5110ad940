import type { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';

/** A day-ahead curve of `hours` hourly points starting at `startUtc` (ISO with Z). */
export function dayAheadCurve(opts: {
  zone: string;
  startUtc: string;
  prices: number[];
  issuedAt: string;
  currency?: string;
  partnerId?: string;
  market?: string;
  carbon?: number[];
}) {
  const start = Date.parse(opts.startUtc);
  return {
    partnerId: opts.partnerId ?? 'acme-energy',
    zone: opts.zone,
    market: opts.market ?? 'day_ahead',
    currency: opts.currency ?? 'EUR',
    unit: 'MWh',
    issuedAt: opts.issuedAt,
    points: opts.prices.map((price, i) => ({
      intervalStart: new Date(start + i * 3_600_000).toISOString(),
      intervalMinutes: 60,
      price,
      ...(opts.carbon ? { carbonGPerKwh: opts.carbon[i] } : {}),
    })),
  };
}

/** A cluster load report. */
export function loadReport(clusterId: string, observedAt: string, overrides: Record<string, unknown> = {}) {
  return {
    clusterId,
    region: 'eu-central',
    zone: 'DE-LU',
    observedAt,
    gpuModel: 'H100',
    gpuTotal: 4096,
    gpuBusy: 2900,
    gpuSchedulable: 1100,
    powerKw: 5200,
    powerCapKw: 7000,
    pue: 1.18,
    ...overrides,
  };
}

/** Registers zones (the ingest dead-letters prices of unregistered zones as UNKNOWN_ZONE). */
export async function registerZones(db: DataSource, zones: readonly string[]): Promise<void> {
  await db.query(
    `insert into zones (id, name, currency) select z, z, 'EUR' from unnest($1::text[]) as z on conflict do nothing`,
    [zones],
  );
}

/** Registers clusters in `zone` (the ingest dead-letters load of unregistered clusters as UNKNOWN_CLUSTER). */
export async function registerClusters(
  db: DataSource,
  ids: readonly string[],
  zone = 'DE-LU',
): Promise<void> {
  await db.query(
    `insert into clusters (id, name, region, zone, gpu_model, gpu_total, kw_per_gpu, pue)
     select c, c, 'eu-central', $2, 'H100', 4096, 0.7, 1.2 from unnest($1::text[]) as c on conflict do nothing`,
    [ids, zone],
  );
}

/** Row counts and content hashes of the ingest tables (ingested_at and ids excluded). */
export async function ingestFingerprint(db: DataSource): Promise<Record<string, string>> {
  const [row] = await db.query<Record<string, string>[]>(`
    select
      (select count(*) from prices)::text as prices,
      (select coalesce(md5(string_agg(concat_ws('|', zone, market, interval_start, partner_id, slot_minutes,
          price_per_mwh, price_original, currency_original, carbon_g_per_kwh, coverage_minutes, issued_at, message_id),
          ',' order by zone, market, interval_start, partner_id)), '') from prices) as prices_hash,
      (select count(*) from load_reports)::text as load_reports,
      (select coalesce(md5(string_agg(concat_ws('|', cluster_id, observed_at, gpu_total, gpu_busy, gpu_schedulable,
          power_kw, power_cap_kw, pue, message_id), ',' order by cluster_id, observed_at)), '') from load_reports) as load_hash,
      (select count(*) from cluster_state)::text as cluster_state,
      (select coalesce(md5(string_agg(concat_ws('|', cluster_id, observed_at, gpu_schedulable),
          ',' order by cluster_id)), '') from cluster_state) as state_hash,
      (select count(*) from price_freshness)::text as freshness`);
  return row!;
}

/** Resolves once the consumer group has committed up to the end of every partition of `topics`. */
export async function waitForGroupCaughtUp(
  kafka: Kafka,
  groupId: string,
  topics: string[],
  timeoutMs = 60_000,
) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let behind = 0;
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
        const byPartition = new Map(
          committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? [],
        );
        for (const end of ends) {
          const done = byPartition.get(end.partition) ?? -1;
          const high = Number(end.high);
          if (high > 0 && done < high) behind += high - Math.max(done, 0);
        }
      }
      if (behind === 0) return;
      if (Date.now() > deadline) throw new Error(`group ${groupId} still ${behind} records behind`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record of `topic` from the beginning until `count` arrived (or time runs out). */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<{ key: string | null; value: string | null; headers: Record<string, string> }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Math.random().toString(16).slice(2)}` });
  const out: { key: string | null; value: string | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${out.length}/${count} records on ${topic}`)),
        timeoutMs,
      );
      if (count === 0) {
        clearTimeout(timer);
        resolve();
      }
      void consumer.run({
        eachMessage: ({ message }) => {
          out.push({
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
          });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
