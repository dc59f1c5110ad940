import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { HEADERS, type GridEventMessageV1 } from '#gridshift/contracts';
import { backoffMs, JsonProducer } from '#gridshift/messaging';
import { counter, gauge, type Logger } from '#gridshift/observability';
import {
  gridEventContent,
  mapOpenAdrEvent,
  MODIFICATION_EPOCH_MS,
  type MappingConfig,
  type OpenAdrDeadLetterCode,
} from './mapping.js';

/** A VTN answered with something other than a JSON array of events (HTTP error, timeout, bad JSON). */
export class VtnError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'VtnError';
  }
}

export interface OpenAdrVenOptions {
  /** Base URL of the VTN's OpenADR 3 REST API, e.g. `https://vtn.example/openadr3/3.0.1`. */
  vtnUrl: string;
  /** Bearer token sent as `Authorization` (OpenADR 3 VTNs use OAuth2 client-credential tokens). */
  token?: string;
  /** Only events of this program (`programID` query parameter). */
  programId?: string;
  kafka: Kafka;
  topics: { gridEvents: string; deadLetters: string };
  mapping: MappingConfig;
  /** Poll interval when the VTN answers (default 10 s, OpenADR's usual VEN poll). */
  pollMs?: number;
  /** Backoff after VTN errors: base and cap (defaults 1 s, 5 min), with jitter. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Per request (default 10 s). */
  requestTimeoutMs?: number;
  /** Events per page (`limit`; default 50). */
  pageSize?: number;
  registry?: Registry;
  logger?: Logger;
  /** The clock (default Date.now): revisions of events without timestamps and of cancellations. */
  now?: () => number;
}

export interface PollOutcome {
  events: number;
  published: { new: number; modified: number; cancelled: number };
  deadLettered: number;
}

interface Published {
  message: GridEventMessageV1;
  content: string;
}

/**
 * An OpenADR 3 VEN for gridshift: polls the VTN's `GET /events` (paged, filtered by program), maps each event onto
 * `gridshift.grid-events.v1` (`mapOpenAdrEvent`) and publishes what is new or changed (key = its first zone,
 * message-id `openadr:<eventId>:<modificationNumber>`); an event that disappears from the VTN, or is marked
 * cancelled, is published cancelled with a higher revision. What cannot be mapped goes to the dead-letter topic with
 * an `OPENADR_*` code, once per content. VTN errors back off exponentially with jitter; a failed poll never cancels
 * anything. Remembers what it published in memory only: after a restart, events deleted meanwhile are not
 * cancelled (they end by themselves; re-publishing the others is a no-op in gridshift).
 */
export class OpenAdrVen {
  private readonly producer: JsonProducer;
  private readonly published = new Map<string, Published>();
  private readonly deadLettered = new Map<string, string>();
  /** OpenADR event id → the gridshift eventId it was published as. */
  private readonly eventIdByRawId = new Map<string, string>();
  private readonly registry: Registry;
  private readonly metrics;
  private readonly now: () => number;
  private failures = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;

  constructor(private readonly options: OpenAdrVenOptions) {
    this.producer = new JsonProducer(options.kafka);
    this.now = options.now ?? Date.now;
    this.registry = options.registry ?? new Registry();
    const r = this.registry;
    this.metrics = {
      polls: counter(r, 'gridshift_openadr_polls_total', 'Polls of the VTN by outcome (ok, error)', [
        'outcome',
      ]),
      published: counter(
        r,
        'gridshift_openadr_events_published_total',
        'Grid events published from OpenADR events, by change (new, modified, cancelled)',
        ['change'],
      ),
      deadLetters: counter(
        r,
        'gridshift_openadr_dead_letters_total',
        'OpenADR events that could not be mapped, by code',
        ['code'],
      ),
      skippedPayloads: counter(
        r,
        'gridshift_openadr_skipped_payloads_total',
        'Interval payloads of a type gridshift does not use (skipped)',
      ),
      failures: gauge(
        r,
        'gridshift_openadr_vtn_consecutive_failures',
        'Failed polls since the last good one',
      ),
      lastSuccess: gauge(
        r,
        'gridshift_openadr_last_poll_success_timestamp_seconds',
        'Unix time of the last poll the VTN answered',
      ),
      active: gauge(
        r,
        'gridshift_openadr_active_events',
        'Events the VTN lists that gridshift has published',
      ),
    };
  }

  /** The metrics registry (the given one or the VEN's own). */
  get metricsRegistry(): Registry {
    return this.registry;
  }

  /** Failed polls since the last good one. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Polls until stop(): every `pollMs` while the VTN answers, with exponential backoff while it does not. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.producer.connect();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    await this.producer.disconnect();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs = this.options.pollMs ?? 10_000;
      try {
        await this.pollOnce();
      } catch (error) {
        waitMs = backoffMs(
          this.failures - 1,
          this.options.retryBaseMs ?? 1000,
          this.options.retryCapMs ?? 300_000,
        );
        this.options.logger?.warn(
          { err: error, failures: this.failures, retryInMs: waitMs },
          'OpenADR VTN poll failed; backing off',
        );
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  /** One poll: read every page of events, publish what changed, cancel what disappeared. Throws VtnError. */
  async pollOnce(): Promise<PollOutcome> {
    let events: unknown[];
    try {
      events = await this.fetchEvents();
    } catch (error) {
      this.failures += 1;
      this.metrics.polls.inc({ outcome: 'error' });
      this.metrics.failures.set(this.failures);
      throw error;
    }
    this.failures = 0;
    this.metrics.polls.inc({ outcome: 'ok' });
    this.metrics.failures.set(0);
    this.metrics.lastSuccess.set(this.now() / 1000);
    const outcome: PollOutcome = {
      events: events.length,
      published: { new: 0, modified: 0, cancelled: 0 },
      deadLettered: 0,
    };
    const listed = new Set<string>();
    const nowNumber = Math.floor((this.now() - MODIFICATION_EPOCH_MS) / 1000);
    for (const raw of events) {
      const rawId = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
      const previousId = typeof rawId === 'string' ? this.eventIdByRawId.get(rawId) : undefined;
      const mapped = mapOpenAdrEvent(raw, this.options.mapping, nowNumber);
      if (!mapped.ok) {
        // Still listed: an event that cannot be mapped now is not cancelled for it.
        if (previousId !== undefined) listed.add(previousId);
        if (await this.deadLetter(raw, rawId, mapped.code, mapped.message)) outcome.deadLettered += 1;
        continue;
      }
      this.metrics.skippedPayloads.inc(mapped.skippedPayloads.length);
      let message = mapped.message;
      listed.add(message.eventId);
      if (typeof rawId === 'string') this.eventIdByRawId.set(rawId, message.eventId);
      const before = this.published.get(message.eventId);
      const content = gridEventContent(message);
      if (before?.content === content) continue;
      // A change the VTN did not stamp (or stamped backwards) still needs a higher revision.
      if (before && message.modificationNumber <= before.message.modificationNumber)
        message = {
          ...message,
          modificationNumber: Math.max(before.message.modificationNumber + 1, nowNumber),
        };
      await this.publish(message);
      this.published.set(message.eventId, { message, content: gridEventContent(message) });
      if (message.cancelled === true) outcome.published.cancelled += 1;
      else if (before) outcome.published.modified += 1;
      else outcome.published.new += 1;
    }
    for (const [eventId, { message }] of this.published) {
      if (listed.has(eventId) || message.cancelled === true) continue;
      const cancelled: GridEventMessageV1 = {
        ...message,
        modificationNumber: Math.max(message.modificationNumber + 1, nowNumber),
        cancelled: true,
      };
      await this.publish(cancelled);
      this.published.set(eventId, { message: cancelled, content: gridEventContent(cancelled) });
      outcome.published.cancelled += 1;
    }
    for (const [change, n] of Object.entries(outcome.published))
      if (n > 0) this.metrics.published.inc({ change }, n);
    this.metrics.active.set([...this.published.values()].filter((p) => p.message.cancelled !== true).length);
    return outcome;
  }

  private async publish(message: GridEventMessageV1): Promise<void> {
    await this.producer.send(this.options.topics.gridEvents, [
      {
        key: message.targets.zones[0]!,
        value: message,
        messageId: `openadr:${message.eventId}:${message.modificationNumber}`,
      },
    ]);
    this.options.logger?.info(
      {
        eventId: message.eventId,
        modificationNumber: message.modificationNumber,
        cancelled: message.cancelled === true,
      },
      'OpenADR event published as a grid event',
    );
  }

  /** Dead-letters an event once per content (a VTN lists it again on every poll). */
  private async deadLetter(
    raw: unknown,
    rawId: unknown,
    code: OpenAdrDeadLetterCode,
    reason: string,
  ): Promise<boolean> {
    const value = JSON.stringify(raw) ?? 'null';
    const key = typeof rawId === 'string' ? rawId : value;
    if (this.deadLettered.get(key) === value) return false;
    const source = `openadr:${this.options.vtnUrl.replace(/\/+$/, '')}/events`;
    await this.producer.sendRaw(this.options.topics.deadLetters, [
      {
        key: typeof rawId === 'string' ? rawId.slice(0, 1024) : null,
        value,
        headers: {
          [HEADERS.errorCode]: code,
          [HEADERS.errorMessage]: reason.slice(0, 1000),
          [HEADERS.sourceTopic]: source,
          [HEADERS.sourcePartition]: '-1',
          [HEADERS.sourceOffset]: '-1',
          [HEADERS.contentType]: 'application/json',
        },
      },
    ]);
    this.deadLettered.set(key, value);
    this.metrics.deadLetters.inc({ code });
    this.options.logger?.warn({ code, reason }, 'OpenADR event dead-lettered');
    return true;
  }

  /** Every page of `GET /events` (limit/skip), validated to be JSON arrays. */
  private async fetchEvents(): Promise<unknown[]> {
    const limit = this.options.pageSize ?? 50;
    const all: unknown[] = [];
    for (let page = 0; page < 1000; page += 1) {
      const url = new URL(`${this.options.vtnUrl.replace(/\/+$/, '')}/events`);
      if (this.options.programId) url.searchParams.set('programID', this.options.programId);
      url.searchParams.set('skip', String(page * limit));
      url.searchParams.set('limit', String(limit));
      let response: Response;
      try {
        response = await fetch(url, {
          headers: {
            accept: 'application/json',
            ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
          },
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new VtnError(
          `GET ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
          null,
        );
      }
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        throw new VtnError(
          `GET ${url.pathname}: HTTP ${response.status} ${text.slice(0, 200)}`,
          response.status,
        );
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        throw new VtnError(`GET ${url.pathname}: not JSON (${(error as Error).message})`, response.status);
      }
      if (!Array.isArray(body))
        throw new VtnError(`GET ${url.pathname}: not a JSON array of events`, response.status);
      all.push(...(body as unknown[]));
      if (body.length < limit) return all;
    }
    throw new VtnError('GET /events: more than 1000 pages', null);
  }
}
