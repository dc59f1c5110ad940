import { z } from 'zod';
import {
  CONTENT_TYPE_JSON,
  DEFAULT_MAX_INTERVAL_LEAD_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PRICE_LIMITS,
  HEADERS,
  INTERVAL_MINUTES,
  MARKETS,
  TOPICS,
  dlqTopic,
} from './constants.js';
import {
  CONSUMER_DEAD_LETTER_CODES,
  DEAD_LETTER_CODES,
  DEAD_LETTER_CODE_DESCRIPTIONS,
} from './dead-letter.js';
import {
  ClusterLoadMessageV1Schema,
  PlacementAckV1Schema,
  PlacementOrderV1Schema,
  PriceMessageV1Schema,
  UsageMessageV1Schema,
} from './schemas.js';
import { GridEventMessageV1Schema } from './grid-events.js';

// Renders docs/contracts/* from the zod schemas. Pure: scripts/gen-contracts.ts writes the files and
// docs.spec.ts asserts the checked-in files equal a fresh render, so the docs never drift.

interface TopicDoc {
  topic: string;
  schema: z.ZodType;
  direction: string;
  key: string;
  fileName: string;
}

const TOPIC_DOCS: TopicDoc[] = [
  {
    topic: TOPICS.prices,
    schema: PriceMessageV1Schema,
    direction: 'energy partners → gridshift',
    key: '`zone`',
    fileName: `${TOPICS.prices}.schema.json`,
  },
  {
    topic: TOPICS.clusterLoad,
    schema: ClusterLoadMessageV1Schema,
    direction: 'data centers → gridshift',
    key: '`clusterId`',
    fileName: `${TOPICS.clusterLoad}.schema.json`,
  },
  {
    topic: TOPICS.placements,
    schema: PlacementOrderV1Schema,
    direction: 'gridshift → data centers',
    key: '`clusterId`',
    fileName: `${TOPICS.placements}.schema.json`,
  },
  {
    topic: TOPICS.placementAcks,
    schema: PlacementAckV1Schema,
    direction: 'data centers → gridshift',
    key: '`clusterId`',
    fileName: `${TOPICS.placementAcks}.schema.json`,
  },
  {
    topic: TOPICS.usage,
    schema: UsageMessageV1Schema,
    direction: 'data centers → gridshift',
    key: '`clusterId`',
    fileName: `${TOPICS.usage}.schema.json`,
  },
  {
    topic: TOPICS.gridEvents,
    schema: GridEventMessageV1Schema,
    direction: 'energy partners → gridshift',
    key: 'a zone of `targets.zones`',
    fileName: `${TOPICS.gridEvents}.schema.json`,
  },
];

type JsonSchema = Record<string, unknown>;

/** JSON Schema (draft 2020-12) of one topic's message, with a stable `$id`. */
export function topicJsonSchema(topic: string): JsonSchema {
  const doc = TOPIC_DOCS.find((d) => d.topic === topic);
  if (doc === undefined) throw new RangeError(`no schema for topic ${topic}`);
  const { $schema, ...rest } = z.toJSONSchema(doc.schema, { target: 'draft-2020-12' }) as JsonSchema;
  return { $schema, $id: `urn:gridshift:contract:${doc.topic}`, ...rest };
}

function asRecord(value: unknown): JsonSchema {
  return value !== null && typeof value === 'object' ? (value as JsonSchema) : {};
}

function typeOf(prop: JsonSchema): string {
  if (Array.isArray(prop.anyOf)) return prop.anyOf.map((p) => typeOf(asRecord(p))).join(' \\| ');
  if (Array.isArray(prop.enum)) return prop.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (prop.format === 'date-time') return 'date-time (offset required)';
  if (prop.type === 'array') return `array of ${typeOf(asRecord(prop.items))}`;
  const bounds: string[] = [];
  if (typeof prop.minimum === 'number') bounds.push(`≥ ${prop.minimum}`);
  if (typeof prop.maximum === 'number' && prop.maximum < Number.MAX_SAFE_INTEGER)
    bounds.push(`≤ ${prop.maximum}`);
  const type = typeof prop.type === 'string' ? prop.type : 'value';
  return bounds.length === 0 ? type : `${type} ${bounds.join(', ')}`;
}

function fieldTable(title: string, schema: JsonSchema): string[] {
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const lines = [`${title}`, '', '| field | type | required | meaning |', '|---|---|---|---|'];
  const nested: string[] = [];
  for (const [name, value] of Object.entries(asRecord(schema.properties))) {
    const prop = asRecord(value);
    const description = typeof prop.description === 'string' ? prop.description : '';
    lines.push(`| \`${name}\` | ${typeOf(prop)} | ${required.has(name) ? 'yes' : 'no'} | ${description} |`);
    const items = asRecord(prop.items);
    if (prop.type === 'array' && items.type === 'object') {
      nested.push('', ...fieldTable(`Each \`${name}[]\` item:`, items));
    }
  }
  return [...lines, ...nested];
}

function topicSection(doc: TopicDoc): string[] {
  const schema = topicJsonSchema(doc.topic);
  const examples = Array.isArray(schema.examples) ? schema.examples : [];
  return [
    `## \`${doc.topic}\``,
    '',
    `${doc.direction}. Key: ${doc.key}. Schema: [\`${doc.fileName}\`](./${doc.fileName}). Dead letters: \`${dlqTopic(
      doc.topic,
    )}\`.`,
    '',
    ...fieldTable('Fields:', schema),
    '',
    'Example:',
    '',
    '```json',
    ...examples.map((example) => JSON.stringify(example, null, 2)),
    '```',
    '',
  ];
}

function readme(): string {
  const codes = [...DEAD_LETTER_CODES, ...CONSUMER_DEAD_LETTER_CODES].map(
    (code) => `| \`${code}\` | ${DEAD_LETTER_CODE_DESCRIPTIONS[code]} |`,
  );
  const lines = [
    '# gridshift Kafka contracts (v1)',
    '',
    '<!-- Generated by `npx tsx --conditions=gridshift-source scripts/gen-contracts.ts` from libs/contracts. Do not edit by hand. -->',
    '',
    'JSON Schema (draft 2020-12) documents for every topic are next to this file; they are generated from',
    'the same zod schemas gridshift validates with (`libs/contracts`), and a unit test fails if they drift.',
    '',
    '| topic | direction | key | schema | dead letters |',
    '|---|---|---|---|---|',
    ...TOPIC_DOCS.map(
      (d) =>
        `| \`${d.topic}\` | ${d.direction} | ${d.key} | [\`${d.fileName}\`](./${d.fileName}) | \`${dlqTopic(d.topic)}\` |`,
    ),
    '',
    '## Rules for every message',
    '',
    `- **Encoding**: the value is one JSON object, UTF-8, at most ${DEFAULT_MAX_MESSAGE_BYTES / 1024} KiB by default`,
    '  (configurable; larger values are dead-lettered `OVERSIZED`).',
    `- **Headers**: \`${HEADERS.messageId}\` (unique per producer, e.g. a UUID) and \`${HEADERS.contentType}: ${CONTENT_TYPE_JSON}\`.`,
    '- **Key**: gives ordering per partition — prices by `zone`, load, placements, acknowledgements and usage by `clusterId`. The key must',
    '  equal the field in the payload (`KEY_MISMATCH` otherwise) and must not be empty (`EMPTY_KEY`).',
    '- **Timestamps**: RFC 3339 with `Z` or an offset `±hh:mm` (`2023-03-02T00:00:00Z`, `2023-03-02T01:00:00+01:00`).',
    '  Naive timestamps (`2023-03-02T00:00:00`) are rejected with `NAIVE_TIMESTAMP`: their meaning depends on a time',
    '  zone we would have to guess. gridshift stores UTC at millisecond precision.',
    `- **Intervals**: ${INTERVAL_MINUTES.join(', ')} minutes, starting on a multiple of their length on the UTC grid`,
    '  (`2023-03-02T00:15:00Z` is fine for 15 minutes, not for 60). Partners in half-hour-offset zones (e.g. India,',
    '  UTC+5:30) send 15- or 30-minute intervals. Points of one message must not overlap.',
    '- **Closed objects**: unknown fields are rejected (`SCHEMA_VIOLATION` naming the field), so a typo never',
    '  passes silently. Any change of shape ships as a new topic version (`.v2`) that runs beside v1; v1 never changes.',
    '- **At-least-once**: every message may be delivered more than once; gridshift stores idempotently, and consumers',
    '  of placements must do the same.',
    '',
    '## Prices: what gridshift does with them',
    '',
    `- \`market\` is one of ${MARKETS.map((m) => `\`${m}\``).join(', ')}. Prices may be negative and may reach market caps.`,
    '- Converted to the base currency (default USD) per MWh with the operator-configured exchange-rate table',
    '  (units of currency per 1 base unit: EUR 92.5/MWh at 0.925 EUR per USD = 100 USD/MWh); `kWh` prices are',
    '  multiplied by 1000 (0.1 per kWh = 100 per MWh). A currency not in the table is `UNKNOWN_CURRENCY`.',
    `- Plausibility: after conversion a price must lie in [${DEFAULT_PRICE_LIMITS.minPerMwhBase}, ${DEFAULT_PRICE_LIMITS.maxPerMwhBase}] base`,
    '  currency per MWh (configurable), else `IMPLAUSIBLE_PRICE`.',
    `- Horizon: every interval must start at most ${DEFAULT_MAX_INTERVAL_LEAD_MS / 86_400_000} days (configurable) after the message's \`issuedAt\`, else`,
    '  `FUTURE_INTERVAL` (a point in 9999 would make its zone look fresh forever).',
    '- Registered zones only: the `zone` must be registered in the admin API (or be the zone of a registered cluster),',
    '  else `UNKNOWN_ZONE`. Once the zone is registered, `npm run dlq:replay -- --topic gridshift.prices.v1.dlq',
    '  --code UNKNOWN_ZONE` sends those dead letters back to the prices topic.',
    '- One issue, one set of values: a message that repeats a stored interval of an issue (same partner, zone, market,',
    '  `issuedAt`, interval start and length, and currency) with a different price or carbon is `CONFLICTING_REISSUE`',
    '  and nothing of it is stored; the first stays. Other intervals of the same issue may come in later messages (two',
    '  quarter-hours of one hour sent apart are fine). Send corrections with a newer `issuedAt`. An identical re-send',
    '  is a no-op.',
    '',
    '### Prices per interval',
    '',
    'Prices are stored per interval exactly as sent (5, 15, 30 or 60 minutes) and turned into slots when read, by one',
    'rule that the planner, the admin API (`GET /prices`, any `slotMinutes`), the backtest and the SQL view `prices`',
    '(hourly) share (`priceSlots` in libs/contracts):',
    '',
    '1. Per 5-minute cell of a (zone, market) series, the interval with the newest `issuedAt` covering it wins; on a',
    '   tie the shorter interval, then the lower partner id. So a newer issue supersedes only the minutes it covers: a',
    '   15-minute correction of 00:30 replaces 00:30–00:45 of an hourly price, not the hour. An older issue arriving',
    '   late never wins; a duplicate changes nothing.',
    '2. A slot price is the time-weighted mean over the minutes covered (four 15-minute prices 40, 60, 80, 100 → 70;',
    '   an hourly 40 corrected to 100 for 00:30–00:45 → (45 × 40 + 15 × 100) / 60 = 55); carbon likewise, over the',
    '   minutes that have it.',
    '3. Coverage = the minutes of the slot covered by winning intervals. **A slot counts as priced only when fully',
    '   covered**: the planner falls back to the next market, its forecast or the last known price for a partly',
    '   covered slot, and the admin API shows it with `coverageMinutes` and `complete: false`.',
    '',
    '## Cluster load: checks',
    '',
    '- Counts are whole, non-negative GPUs (`NEGATIVE_COUNT`); `gpuBusy` ≤ `gpuTotal` (`GPU_BUSY_EXCEEDS_TOTAL`);',
    '  `gpuSchedulable` ≤ `gpuTotal` (`GPU_SCHEDULABLE_EXCEEDS_TOTAL`). `gpuBusy + gpuSchedulable` may exceed',
    '  `gpuTotal` when busy work is preemptible. Reports append; the latest `observedAt` per cluster is the state.',
    '- The `clusterId` must be a cluster registered in the admin API, else `UNKNOWN_CLUSTER` (replay with',
    '  `npm run dlq:replay -- --topic gridshift.cluster-load.v1.dlq --code UNKNOWN_CLUSTER` once registered).',
    '',
    '## Grid events: what gridshift does with them',
    '',
    '- Shaped after OpenADR 3 events (event id, program, `modificationNumber`, priority, targets, intervals with',
    '  typed payloads), so an OpenADR adapter is a field mapping. Stored per `eventId`: the highest',
    '  `modificationNumber` wins, an older one arriving late is ignored, an identical re-send is a no-op and the same',
    '  number with other content is `CONFLICTING_REISSUE`. `cancelled: true` (with a higher number) removes the event.',
    '- Interval starts and lengths are multiples of 5 minutes on the UTC grid (`MISALIGNED_INTERVAL`); intervals of',
    '  one event must not overlap (`OVERLAPPING_INTERVALS`); each payload type at most once per interval.',
    '- `IMPORT_CAPACITY_LIMIT` (kW) and `LOAD_REDUCTION` (kW, or % of the plan in force before the event) cap the',
    '  facility power of gridshift work in the targeted clusters; `PRICE` adds to the zone price (per MWh in',
    '  `currency`, `MISSING_CURRENCY` without one); `GHG` replaces the zone carbon intensity. `mandatory` caps are',
    '  hard; `voluntary` ones need `incentivePerMwh` (`MISSING_INCENTIVE`) and are followed exactly when it pays.',
    '- The key is one of `targets.zones` (`KEY_MISMATCH`); every zone and cluster named must be registered',
    '  (`UNKNOWN_ZONE`, `UNKNOWN_CLUSTER`). The planner re-plans at once on every new revision (trigger',
    '  `grid-event`); how caps are spread over clusters: [planner](../../apps/planner/README.md#grid-events).',
    '',
    '## Placements: how to consume',
    '',
    '- One order per (scheduleId, scheduleVersion, clusterId). Apply an order only if its `scheduleVersion` is higher',
    '  than the highest you applied; ignore older or repeated versions (they are replays).',
    '- Consume with `isolation.level=read_committed` (kafkajs: `readUncommitted: false`, its default). Orders are',
    '  written in Kafka transactions so that a deposed relay is fenced; a read-uncommitted consumer can see an',
    '  order from an aborted transaction that gridshift sends again, in order, from the new leader.',
    '- `supersedesVersion` names the version it replaces (null for the first). Slots do not overlap and are aligned',
    '  like price intervals.',
    '- A data center that cannot apply an order dead-letters it to `gridshift.placements.v1.dlq` with the headers',
    '  below, so gridshift operators see it.',
    '- Acknowledge every order on `gridshift.placement-acks.v1` (below). An order not acknowledged within',
    '  `PLANNER_ACK_TIMEOUT_SECONDS` is sent again with the **same** `message-id`: dedupe on it.',
    `- **Why** an order was issued travels in the header \`${HEADERS.reasons}\`, a JSON array (absent when empty):`,
    '  `[{"code":"grid-event","eventId":"dr-42","programId":"flex","modificationNumber":3,"compliance":"mandatory","capped":true}]`',
    "  lists each demand-response event the schedule honoured that targets the order's cluster (`capped`: the event",
    '  capped its power in some slot; false: it only priced its zone). A header, not a body field: the order schema is',
    '  strict, so consumers that validate v1 keep working. Skip entries with a `code` you do not know (more may come);',
    '  `decodeOrderReasons` of `#gridshift/contracts` does. Resends carry the same header.',
    '',
    '## Acknowledgements: what gridshift does with them',
    '',
    '- One acknowledgement per status reached: `accepted` (optional), then one of `applied`, `partially-applied`,',
    '  `rejected`. `messageId` is the `message-id` header of the order. `rejected` and `partially-applied` need at',
    '  least one reason (`SCHEMA_VIOLATION` otherwise); `applied` lists, per job and slot, the GPUs applied where they',
    '  differ from the order, a (job, slot) at most once.',
    '- The (scheduleId, version, clusterId) must name an order gridshift sent to that cluster, else `UNKNOWN_ORDER`.',
    '  An acknowledgement of a version older than the newest order sent to the cluster is stored and flagged',
    '  `superseded` (it does not change the delivery state of the newer order). A replay (same ack message-id)',
    '  changes nothing; the delivery state only moves forward (sent → accepted → applied | partially-applied | rejected).',
    '- A reason with code `policy` and a `jobId` keeps that job out of that cluster in every later plan until an',
    '  operator clears it; a `rejected` order with a `policy` reason and no `jobId` does so for every job of the order.',
    '  `capacity` reasons change nothing by themselves: the cluster reports what is left on `gridshift.cluster-load.v1`',
    '  and the next plan uses it. Either wakes the planner (trigger `rejection`).',
    '',
    '## Usage: what gridshift does with it',
    '',
    '- Realized GPU-hours and metered facility kWh per job per interval (60 minutes or finer, on the UTC grid,',
    '  `MISALIGNED_INTERVAL` otherwise), read at `observedAt`. An interval must start before `observedAt`',
    '  (`FUTURE_INTERVAL`); `observedAt` must not be in the future (`FUTURE_TIMESTAMP`).',
    '- Stored per (cluster, job, interval start); a report with a later `observedAt` replaces the stored one, an',
    '  older or equal one changes nothing, so replays are no-ops.',
    '- Usage drives the drift check (realized against the schedule in force; trigger `drift`) and the measured',
    '  savings report (`GET /reports/measured-savings` in the admin API).',
    '',
    ...TOPIC_DOCS.flatMap(topicSection),
    '## Dead letters',
    '',
    'A message gridshift cannot accept is written, unchanged (same key and value) when it fits, to `<topic>.dlq` with its',
    `original headers plus \`${HEADERS.errorCode}\`, \`${HEADERS.errorMessage}\` (≤ 1000 characters),`,
    `\`${HEADERS.sourceTopic}\`, \`${HEADERS.sourcePartition}\` and \`${HEADERS.sourceOffset}\`; then the consumer moves on.`,
    'Nothing is dropped silently. A record gets exactly one code: the checks run in this order and the first',
    'failure decides — size (`OVERSIZED`), key (`EMPTY_KEY`), JSON (`MALFORMED_JSON`), schema (its first issue',
    'gives `NAIVE_TIMESTAMP`, `UNKNOWN_MARKET`, `NEGATIVE_COUNT`, `MISALIGNED_INTERVAL` for a length, or',
    '`SCHEMA_VIOLATION`), `KEY_MISMATCH`; then for prices `UNKNOWN_CURRENCY`, `MISALIGNED_INTERVAL` (start),',
    '`OVERLAPPING_INTERVALS`, `IMPLAUSIBLE_PRICE`, `FUTURE_INTERVAL`; for load `GPU_BUSY_EXCEEDS_TOTAL`,',
    '`GPU_SCHEDULABLE_EXCEEDS_TOTAL`; for usage `MISALIGNED_INTERVAL`, `FUTURE_INTERVAL`; then, against what is',
    'stored, `UNKNOWN_ZONE` / `UNKNOWN_CLUSTER`, then `CONFLICTING_REISSUE` (prices) or `UNKNOWN_ORDER` (acknowledgements).',
    '',
    `A dead letter always fits its topic: when the original value is too large for the dead-letter topic's`,
    `\`max.message.bytes\`, the value is replaced by a JSON reference and the header \`${HEADERS.deadLetterValue}\` says`,
    '`reference` (otherwise `original`); `error-code` is the same. The reference:',
    '',
    '```json',
    JSON.stringify(
      {
        kind: 'gridshift.dead-letter-reference.v1',
        sourceTopic: TOPICS.prices,
        sourcePartition: 1,
        sourceOffset: '5021',
        valueBytes: 5_000_000,
        valueSha256: '9f2c…(64 hex digits)',
        valueHeadBase64: '(the first 1024 bytes, base64)',
        keyBytes: 5,
        originalHeadersDropped: false,
      },
      null,
      2,
    ),
    '```',
    '',
    'A reference keeps the original key unless it is over 1 KiB, and the original headers unless they are over 16 KiB in all.',
    '',
    '| error-code | meaning |',
    '|---|---|',
    ...codes,
    '',
    'Example dead-letter headers for a naive timestamp:',
    '',
    '```',
    `${HEADERS.errorCode}: NAIVE_TIMESTAMP`,
    `${HEADERS.errorMessage}: points[0].intervalStart: "2023-03-02T00:00:00" has no UTC offset; send Z or ±hh:mm (e.g. 2023-03-02T00:00:00Z)`,
    `${HEADERS.sourceTopic}: ${TOPICS.prices}`,
    `${HEADERS.sourcePartition}: 3`,
    `${HEADERS.sourceOffset}: 18234`,
    '```',
    '',
    '## Regenerating',
    '',
    '`npx tsx --conditions=gridshift-source scripts/gen-contracts.ts` rewrites this folder; `--check` exits 1 if it is out of date.',
    '',
  ];
  return lines.join('\n');
}

/** Every file of docs/contracts as (file name → content), rendered from the zod schemas. */
export function renderContractDocs(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const doc of TOPIC_DOCS)
    files[doc.fileName] = `${JSON.stringify(topicJsonSchema(doc.topic), null, 2)}\n`;
  files['README.md'] = readme();
  return files;
}
