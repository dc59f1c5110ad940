import { msToUtcIso } from '#gridshift/contracts';
import { csvFields, csvLines, csvNumber, DatasetFormatError, DATETIME } from './csv.js';

// Azure LLM inference traces 2023 (Splitwise; CC-BY 4.0). TIMESTAMP has 100-ns digits and no documented
// time zone; we read it as UTC. The traces cover about an hour, so a "daily" demand shape is built by
// spreading the trace over N windows (tokensPerHourProfile) — real burstiness, compressed time.

export const LLM_TRACE_HEADER = 'TIMESTAMP,ContextTokens,GeneratedTokens';
export const TRACE_BUCKETS_HEADER = 'MinuteStartUtc,Requests,ContextTokens,GeneratedTokens';

/** One inference request. */
export interface LlmRequest {
  /** Arrival, canonical UTC ISO (millisecond precision). */
  timestampUtc: string;
  timeMs: number;
  /** Prompt (input) tokens. */
  contextTokens: number;
  /** Output tokens. */
  generatedTokens: number;
}

export interface LlmTrace {
  /** `code` or `conv` for the Azure files, or whatever the caller names it. */
  service: string;
  /** Sorted by arrival. */
  requests: LlmRequest[];
}

/** Requests and tokens that arrived in [bucketStartUtc, + bucketSeconds). */
export interface TraceBucket {
  bucketStartUtc: string;
  bucketSeconds: number;
  requests: number;
  contextTokens: number;
  generatedTokens: number;
}

/** Parses an Azure LLM trace CSV (`TIMESTAMP,ContextTokens,GeneratedTokens`) into requests sorted by arrival. */
export function parseLlmTraceCsv(text: string, service = 'unknown'): LlmTrace {
  const lines = csvLines(text);
  if (lines[0] !== LLM_TRACE_HEADER) throw new DatasetFormatError(1, `expected ${LLM_TRACE_HEADER}`);
  const requests: LlmRequest[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const [stamp = '', context, generated, ...extra] = csvFields(lines[i] ?? '');
    const match = DATETIME.exec(stamp);
    if (match === null || match[8] !== undefined || extra.length > 0) {
      throw new DatasetFormatError(line, `bad row ${JSON.stringify(lines[i])}`);
    }
    const fractionMs = Number((match[7] ?? '.').slice(1).padEnd(3, '0').slice(0, 3)); // truncate to ms
    const timeMs =
      Date.UTC(
        Number(match[1]),
        Number(match[2]) - 1,
        Number(match[3]),
        Number(match[4]),
        Number(match[5]),
        Number(match[6]),
      ) + fractionMs;
    requests.push({
      timestampUtc: msToUtcIso(timeMs),
      timeMs,
      contextTokens: csvNumber(context, line, 'ContextTokens'),
      generatedTokens: csvNumber(generated, line, 'GeneratedTokens'),
    });
  }
  requests.sort((a, b) => a.timeMs - b.timeMs);
  return { service, requests };
}

export interface AggregateOptions {
  /** Bucket length; default 60 (per minute). */
  bucketSeconds?: number;
  /** First bucket start (epoch ms, aligned down to the bucket); default the first request's bucket. */
  fromMs?: number;
  /** End (exclusive, epoch ms); default just after the last request's bucket. */
  toMs?: number;
}

/** Contiguous buckets (empty ones included) of request and token counts; requests outside [from, to) are ignored. */
export function aggregateTrace(requests: readonly LlmRequest[], opts: AggregateOptions = {}): TraceBucket[] {
  const bucketSeconds = opts.bucketSeconds ?? 60;
  const bucketMs = bucketSeconds * 1000;
  const first = requests[0];
  const last = requests.at(-1);
  if (first === undefined || last === undefined) return [];
  const fromMs = Math.floor((opts.fromMs ?? first.timeMs) / bucketMs) * bucketMs;
  const toMs = opts.toMs ?? (Math.floor(last.timeMs / bucketMs) + 1) * bucketMs;
  const buckets: TraceBucket[] = [];
  for (let t = fromMs; t < toMs; t += bucketMs) {
    buckets.push({
      bucketStartUtc: msToUtcIso(t),
      bucketSeconds,
      requests: 0,
      contextTokens: 0,
      generatedTokens: 0,
    });
  }
  for (const r of requests) {
    if (r.timeMs < fromMs || r.timeMs >= toMs) continue;
    const bucket = buckets[Math.floor((r.timeMs - fromMs) / bucketMs)];
    if (bucket === undefined) continue;
    bucket.requests++;
    bucket.contextTokens += r.contextTokens;
    bucket.generatedTokens += r.generatedTokens;
  }
  return buckets;
}

/** Writes per-minute buckets as CSV (`MinuteStartUtc,Requests,ContextTokens,GeneratedTokens`, LF). */
export function formatTraceBucketsCsv(buckets: readonly TraceBucket[]): string {
  const rows = buckets.map((b) => {
    if (b.bucketSeconds !== 60) throw new RangeError('the bucket CSV holds per-minute buckets only');
    return `${b.bucketStartUtc},${b.requests},${b.contextTokens},${b.generatedTokens}`;
  });
  return `${[TRACE_BUCKETS_HEADER, ...rows].join('\n')}\n`;
}

/** Parses the per-minute bucket CSV written by formatTraceBucketsCsv (data/llm-traces/*_per_minute.csv). */
export function parseTraceBucketsCsv(text: string): TraceBucket[] {
  const lines = csvLines(text);
  if (lines[0] !== TRACE_BUCKETS_HEADER) throw new DatasetFormatError(1, `expected ${TRACE_BUCKETS_HEADER}`);
  return lines.slice(1).map((raw, i) => {
    const line = i + 2;
    const [start = '', requests, context, generated] = csvFields(raw);
    if (!Number.isFinite(Date.parse(start)) || !start.endsWith('Z')) {
      throw new DatasetFormatError(line, `bad MinuteStartUtc ${JSON.stringify(start)}`);
    }
    return {
      bucketStartUtc: new Date(start).toISOString(),
      bucketSeconds: 60,
      requests: csvNumber(requests, line, 'Requests'),
      contextTokens: csvNumber(context, line, 'ContextTokens'),
      generatedTokens: csvNumber(generated, line, 'GeneratedTokens'),
    };
  });
}

/** Token rates of one window of the trace, scaled to per hour. */
export interface TokenRateWindow {
  /** 0-based window index (the demo maps window i to hour i of a day). */
  slot: number;
  startUtc: string;
  seconds: number;
  requests: number;
  contextTokens: number;
  generatedTokens: number;
  requestsPerHour: number;
  contextTokensPerHour: number;
  generatedTokensPerHour: number;
  /** context + generated tokens per hour. */
  tokensPerHour: number;
}

/**
 * Splits contiguous buckets into `slots` consecutive windows of (as near as possible) equal length and
 * returns each window's rates per hour: tokens × 3600 / window seconds. 60 one-minute buckets into 24
 * slots gives windows of 2 or 3 minutes (12 × 3 + 12 × 2 = 60).
 */
export function tokensPerHourProfile(
  buckets: readonly TraceBucket[],
  opts: { slots?: number } = {},
): TokenRateWindow[] {
  const slots = opts.slots ?? 24;
  if (!Number.isInteger(slots) || slots < 1)
    throw new RangeError(`slots must be a positive integer, got ${slots}`);
  if (buckets.length < slots) throw new RangeError(`need at least ${slots} buckets, got ${buckets.length}`);
  const windows: TokenRateWindow[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const part = buckets.slice(
      Math.floor((slot * buckets.length) / slots),
      Math.floor(((slot + 1) * buckets.length) / slots),
    );
    const seconds = part.reduce((s, b) => s + b.bucketSeconds, 0);
    const requests = part.reduce((s, b) => s + b.requests, 0);
    const contextTokens = part.reduce((s, b) => s + b.contextTokens, 0);
    const generatedTokens = part.reduce((s, b) => s + b.generatedTokens, 0);
    const perHour = 3600 / seconds;
    windows.push({
      slot,
      startUtc: part[0]?.bucketStartUtc ?? '',
      seconds,
      requests,
      contextTokens,
      generatedTokens,
      requestsPerHour: requests * perHour,
      contextTokensPerHour: contextTokens * perHour,
      generatedTokensPerHour: generatedTokens * perHour,
      tokensPerHour: (contextTokens + generatedTokens) * perHour,
    });
  }
  return windows;
}

/** Mean token rates over the whole trace span (first to last request), per second. */
export function meanTokenRates(requests: readonly LlmRequest[]): {
  seconds: number;
  requestsPerSecond: number;
  contextTokensPerSecond: number;
  generatedTokensPerSecond: number;
} {
  const first = requests[0];
  const last = requests.at(-1);
  const seconds = first === undefined || last === undefined ? 0 : (last.timeMs - first.timeMs) / 1000;
  if (seconds <= 0)
    return { seconds, requestsPerSecond: 0, contextTokensPerSecond: 0, generatedTokensPerSecond: 0 };
  const sum = (pick: (r: LlmRequest) => number) => requests.reduce((s, r) => s + pick(r), 0);
  return {
    seconds,
    requestsPerSecond: requests.length / seconds,
    contextTokensPerSecond: sum((r) => r.contextTokens) / seconds,
    generatedTokensPerSecond: sum((r) => r.generatedTokens) / seconds,
  };
}
