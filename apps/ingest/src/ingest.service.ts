// The ingest app: one decoder per input topic (prices, cluster load, grid events, acks, usage) and the service that
// wires their five supervised consumers to the repositories; one file because the decoders and the service share
// the per-topic settings and metrics.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  decodeGridEventMessage,
  decodeLoadMessage,
  decodePriceMessage,
  normalizeGridEvent,
  normalizeLoadMessage,
  normalizePriceIntervalDays,
  HEADERS,
  type ExchangeRates,
} from '#gridshift/contracts';
import {
  ConsumerRunner,
  type ConsumedRecord,
  type DeadRecord,
  type Decoded,
  type RawRecord,
  topicMaxMessageBytes,
} from '#gridshift/messaging';
import { counter, type Logger } from '#gridshift/observability';
import {
  DeadLetterRepository,
  GridEventRepository,
  LoadRepository,
  PriceRepository,
  RegistrationRepository,
  type GridEventWrite,
  type LoadRow,
  type PriceIssueBlock,
} from '#gridshift/persistence';
import {
  APP_CONFIG,
  CONSUMERS,
  ConsumerStatusBoard,
  KAFKA,
  LOGGER,
  METRICS,
  TopicProvisioner,
} from '#gridshift/platform';
import type { IngestConfig } from './config.js';
import { loadExchangeRates } from './exchange-rates.js';
import { feedbackRunners } from './datacenter-feedback.js';
import { deadLetterRecorder } from './dead-letters.js';
import { RegisteredIds } from './registered-ids.js';

/** Splits `records` into the registered ones and dead records with `code` for the others. */
async function screenRegistered<R extends RawRecord>(
  records: R[],
  idOf: (record: R) => string,
  registry: RegisteredIds | undefined,
  code: 'UNKNOWN_ZONE' | 'UNKNOWN_CLUSTER',
  what: string,
): Promise<{ kept: R[]; dead: DeadRecord[] }> {
  if (registry === undefined) return { kept: records, dead: [] };
  const unregistered = await registry.unregistered(records.map(idOf));
  if (unregistered.size === 0) return { kept: records, dead: [] };
  const kept: R[] = [];
  const dead: DeadRecord[] = [];
  for (const record of records) {
    const id = idOf(record);
    if (!unregistered.has(id)) kept.push(record);
    else
      dead.push({
        record,
        code,
        message: `${what} ${JSON.stringify(id)} is not registered; register it in the admin API, then replay with npm run dlq:replay`,
      });
  }
  return { kept, dead };
}

function keyText(record: RawRecord): string {
  return record.key?.toString('utf8') ?? '';
}

/** Decodes and normalises one price record into the issue rows to store, intervals as sent (or a dead-letter code). */
export function decodePriceRecord(
  record: RawRecord,
  fx: ExchangeRates,
  config: Pick<
    IngestConfig,
    | 'INGEST_MAX_MESSAGE_BYTES'
    | 'PRICE_MIN_PER_MWH'
    | 'PRICE_MAX_PER_MWH'
    | 'INGEST_MAX_CLOCK_SKEW_SECONDS'
    | 'INGEST_MAX_FUTURE_DAYS'
  >,
): Decoded<PriceIssueBlock[]> {
  const decoded = decodePriceMessage(record.key, record.value, {
    fx,
    maxBytes: config.INGEST_MAX_MESSAGE_BYTES,
    notAfterMs: Date.now() + config.INGEST_MAX_CLOCK_SKEW_SECONDS * 1000,
    priceLimits: { minPerMwhBase: config.PRICE_MIN_PER_MWH, maxPerMwhBase: config.PRICE_MAX_PER_MWH },
    maxIntervalLeadMs: config.INGEST_MAX_FUTURE_DAYS * 86_400_000,
  });
  if (!decoded.ok) return decoded;
  const messageId = record.headers[HEADERS.messageId] ?? null;
  // Stored per interval as sent (one block per UTC day and interval length); slots are made on read.
  const days = normalizePriceIntervalDays(decoded.value, { fx });
  // An explicit literal (one hidden class for every block): object rest here cost ~15 % of decode CPU.
  return {
    ok: true,
    value: days.map((d) => ({
      zone: d.zone,
      market: d.market,
      partnerId: d.partnerId,
      blockStartMs: d.blockStartMs,
      intervalMinutes: d.slotMinutes,
      issuedMs: d.issuedMs,
      currencyOriginal: d.currencyOriginal,
      pricePerMwh: d.pricePerMwh,
      priceOriginal: d.priceOriginal,
      carbonGPerKwh: d.carbonGPerKwh,
      coverageMinutes: d.coverageMinutes,
      points: d.points,
      messageId,
    })),
  };
}

/** Decodes one load record into the row to store (or a dead-letter code). */
export function decodeLoadRecord(
  record: RawRecord,
  config: Pick<IngestConfig, 'INGEST_MAX_MESSAGE_BYTES' | 'INGEST_MAX_CLOCK_SKEW_SECONDS'>,
): Decoded<LoadRow> {
  const decoded = decodeLoadMessage(record.key, record.value, {
    maxBytes: config.INGEST_MAX_MESSAGE_BYTES,
    notAfterMs: Date.now() + config.INGEST_MAX_CLOCK_SKEW_SECONDS * 1000,
  });
  if (!decoded.ok) return decoded;
  const r = normalizeLoadMessage(decoded.value);
  return {
    ok: true,
    value: {
      clusterId: r.clusterId,
      region: r.region,
      zone: r.zone,
      observedAt: r.observedAtUtc,
      gpuModel: r.gpuModel,
      gpuTotal: r.gpuTotal,
      gpuBusy: r.gpuBusy,
      gpuSchedulable: r.gpuSchedulable,
      powerKw: r.powerKw,
      powerCapKw: r.powerCapKw ?? null,
      pue: r.pue,
      messageId: record.headers[HEADERS.messageId] ?? null,
    },
  };
}

/** Decodes and normalises one grid-event record into the revision to store (or a dead-letter code). */
export function decodeGridEventRecord(
  record: RawRecord,
  fx: ExchangeRates,
  config: Pick<IngestConfig, 'INGEST_MAX_MESSAGE_BYTES' | 'PRICE_MIN_PER_MWH' | 'PRICE_MAX_PER_MWH'>,
): Decoded<GridEventWrite> {
  const decoded = decodeGridEventMessage(record.key, record.value, {
    fx,
    maxBytes: config.INGEST_MAX_MESSAGE_BYTES,
    priceLimits: { minPerMwhBase: config.PRICE_MIN_PER_MWH, maxPerMwhBase: config.PRICE_MAX_PER_MWH },
  });
  if (!decoded.ok) return decoded;
  return {
    ok: true,
    value: { ...normalizeGridEvent(decoded.value, fx), messageId: record.headers[HEADERS.messageId] ?? null },
  };
}

/** Screens grid events against the registered zones and clusters (every target must be registered). */
async function screenGridEvents(
  records: ConsumedRecord<GridEventWrite>[],
  zones: RegisteredIds | undefined,
  clusters: RegisteredIds | undefined,
): Promise<{ kept: ConsumedRecord<GridEventWrite>[]; dead: DeadRecord[] }> {
  const unknownZones = zones ? await zones.unregistered(records.flatMap((r) => r.decoded.zones)) : new Set();
  const unknownClusters = clusters
    ? await clusters.unregistered(records.flatMap((r) => r.decoded.clusterIds ?? []))
    : new Set();
  const kept: ConsumedRecord<GridEventWrite>[] = [];
  const dead: DeadRecord[] = [];
  for (const record of records) {
    const zone = record.decoded.zones.find((z) => unknownZones.has(z));
    const cluster = (record.decoded.clusterIds ?? []).find((c) => unknownClusters.has(c));
    if (zone !== undefined)
      dead.push({
        record,
        code: 'UNKNOWN_ZONE',
        message: `targets.zones: zone ${JSON.stringify(zone)} is not registered`,
      });
    else if (cluster !== undefined)
      dead.push({
        record,
        code: 'UNKNOWN_CLUSTER',
        message: `targets.clusters: cluster ${JSON.stringify(cluster)} is not registered`,
      });
    else kept.push(record);
  }
  return { kept, dead };
}

/** Runs the price and load consumers: validated, normalised, stored idempotently, offsets after commit. */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runners: ConsumerRunner<unknown>[] = [];
  private fx: ExchangeRates | undefined;
  private fxTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly registry: Registry,
    private readonly dataSource: DataSource,
    private readonly topicProvisioner: TopicProvisioner,
    @Inject(CONSUMERS) private readonly consumers: ConsumerStatusBoard,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.fx = await loadExchangeRates(this.dataSource, this.config.FX_RATES_FILE);
    // Operators may change rates through the admin API; pick them up without a restart.
    this.fxTimer = setInterval(() => {
      loadExchangeRates(this.dataSource, this.config.FX_RATES_FILE)
        .then((fx) => (this.fx = fx))
        .catch((error: unknown) => this.logger.warn({ err: error }, 'exchange-rate refresh failed'));
    }, 60_000);
    this.fxTimer.unref();

    const topics = this.topicProvisioner.names;
    // Topics that existed before keep their limit; say so when it is below what the ingest accepts. In the
    // background: boot (and /health) never waits for Kafka.
    void topicMaxMessageBytes(this.kafka, [topics.prices, topics.clusterLoad, topics.gridEvents])
      .catch(() => new Map<string, number>())
      .then((limits) => {
        for (const [topic, maxMessageBytes] of limits) {
          if (maxMessageBytes < this.config.INGEST_MAX_MESSAGE_BYTES)
            this.logger.warn(
              { topic, maxMessageBytes, ingestMaxMessageBytes: this.config.INGEST_MAX_MESSAGE_BYTES },
              'topic max.message.bytes is below INGEST_MAX_MESSAGE_BYTES: producers get MESSAGE_TOO_LARGE above it',
            );
        }
      });
    const recordDeadLetters = deadLetterRecorder(this.dataSource);
    this.pruneDeadLetters();
    const prices = new PriceRepository(this.dataSource);
    const loads = new LoadRepository(this.dataSource);
    const registrations = new RegistrationRepository(this.dataSource);
    const zones = this.config.INGEST_REQUIRE_REGISTERED
      ? new RegisteredIds((ids) => registrations.registeredZones(ids))
      : undefined;
    const clusters = this.config.INGEST_REQUIRE_REGISTERED
      ? new RegisteredIds((ids) => registrations.registeredClusters(ids))
      : undefined;
    const points = counter(
      this.registry,
      'gridshift_ingest_price_slots_total',
      'Price intervals in the issue rows written (new issues, or intervals merged into a stored one); 0 for a replay',
    );
    const reports = counter(this.registry, 'gridshift_ingest_load_reports_total', 'New load reports stored');
    const gridEvents = new GridEventRepository(this.dataSource);
    const eventRevisions = counter(
      this.registry,
      'gridshift_ingest_grid_event_revisions_total',
      'Grid-event revisions received, by outcome (inserted, updated, unchanged, older, conflict)',
      ['outcome'],
    );

    const priceRunner = new ConsumerRunner<PriceIssueBlock[]>({
      kafka: this.kafka,
      groupId: `${this.config.INGEST_GROUP_ID}-prices`,
      prepare: () => this.topicProvisioner.ensure(),
      recordDeadLetters,
      topics: [topics.prices],
      logger: this.logger,
      registry: this.registry,
      chunkSize: this.config.INGEST_CHUNK_SIZE,
      partitionsConsumedConcurrently: this.config.INGEST_CONCURRENCY,
      maxBytesPerPartition: this.config.INGEST_FETCH_PARTITION_BYTES,
      decode: (record) => decodePriceRecord(record, this.fx!, this.config),
      store: async (records: ConsumedRecord<PriceIssueBlock[]>[]) => {
        // The key is the zone (KEY_MISMATCH otherwise).
        const { kept, dead } = await screenRegistered(records, keyText, zones, 'UNKNOWN_ZONE', 'zone');
        const { written, conflicts } = await prices.storeMessages(kept.map((r) => r.decoded));
        points.inc(written);
        for (const c of conflicts)
          dead.push({ record: kept[c.message]!, code: 'CONFLICTING_REISSUE', message: c.detail });
        return dead;
      },
    });
    const loadRunner = new ConsumerRunner<LoadRow>({
      kafka: this.kafka,
      groupId: `${this.config.INGEST_GROUP_ID}-load`,
      prepare: () => this.topicProvisioner.ensure(),
      recordDeadLetters,
      topics: [topics.clusterLoad],
      logger: this.logger,
      registry: this.registry,
      chunkSize: this.config.INGEST_CHUNK_SIZE,
      partitionsConsumedConcurrently: this.config.INGEST_CONCURRENCY,
      maxBytesPerPartition: this.config.INGEST_FETCH_PARTITION_BYTES,
      decode: (record) => decodeLoadRecord(record, this.config),
      store: async (records: ConsumedRecord<LoadRow>[]) => {
        const { kept, dead } = await screenRegistered(
          records,
          (r) => r.decoded.clusterId,
          clusters,
          'UNKNOWN_CLUSTER',
          'cluster',
        );
        if (kept.length > 0) {
          const inserted = await this.dataSource.transaction((manager) =>
            loads.append(
              kept.map((r) => r.decoded),
              manager,
            ),
          );
          reports.inc(inserted);
        }
        return dead;
      },
    });
    const gridEventRunner = new ConsumerRunner<GridEventWrite>({
      kafka: this.kafka,
      groupId: `${this.config.INGEST_GROUP_ID}-grid-events`,
      prepare: () => this.topicProvisioner.ensure(),
      recordDeadLetters,
      topics: [topics.gridEvents],
      logger: this.logger,
      registry: this.registry,
      chunkSize: this.config.INGEST_CHUNK_SIZE,
      partitionsConsumedConcurrently: this.config.INGEST_CONCURRENCY,
      maxBytesPerPartition: this.config.INGEST_FETCH_PARTITION_BYTES,
      decode: (record) => decodeGridEventRecord(record, this.fx!, this.config),
      store: async (records: ConsumedRecord<GridEventWrite>[]) => {
        const { kept, dead } = await screenGridEvents(records, zones, clusters);
        if (kept.length === 0) return dead;
        // One transaction: the planner is woken once per chunk, after every revision of it is stored (in order).
        await this.dataSource.transaction(async (manager) => {
          for (const record of kept) {
            const outcome = await gridEvents.store(record.decoded, manager);
            eventRevisions.inc({ outcome });
            if (outcome === 'conflict')
              dead.push({
                record,
                code: 'CONFLICTING_REISSUE',
                message: `event ${record.decoded.eventId} modificationNumber ${record.decoded.modificationNumber} is stored with other content; send changes with a higher modificationNumber`,
              });
          }
        });
        return dead;
      },
    });
    this.runners.push(
      priceRunner as ConsumerRunner<unknown>,
      loadRunner as ConsumerRunner<unknown>,
      gridEventRunner as ConsumerRunner<unknown>,
    );
    this.runners.push(
      ...feedbackRunners({
        kafka: this.kafka,
        dataSource: this.dataSource,
        config: this.config,
        logger: this.logger,
        registry: this.registry,
        topics,
        prepare: () => this.topicProvisioner.ensure(),
        recordDeadLetters,
        clusters,
      }),
    );
    // Started in the background: the HTTP server answers /health while they connect (or while Kafka is away).
    for (const runner of this.runners) {
      this.consumers.register(runner);
      runner.start();
    }
    this.logger.info(
      { topics: [topics.prices, topics.clusterLoad, topics.gridEvents, topics.placementAcks, topics.usage] },
      'ingest consumers starting',
    );
  }

  /** Deletes recorded dead letters older than INGEST_DEAD_LETTER_RETENTION_DAYS, now and hourly. */
  private pruneDeadLetters(): void {
    const repository = new DeadLetterRepository(this.dataSource);
    const prune = () =>
      repository
        .deleteOlderThan(new Date(Date.now() - this.config.INGEST_DEAD_LETTER_RETENTION_DAYS * 86_400_000))
        .catch((error: unknown) => this.logger.warn({ err: error }, 'dead-letter retention failed'));
    void prune();
    this.pruneTimer = setInterval(() => void prune(), 3_600_000);
    this.pruneTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.fxTimer) clearInterval(this.fxTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await Promise.all(this.runners.map((r) => r.stop()));
    this.logger.info('ingest consumers stopped');
  }
}
