// Rebuilds the shipped real-data slice in data/ from the full copies in ../shared/data.
// Usage: npx tsx --conditions=gridshift-source libs/datasets/scripts/make-data-slice.ts [--source DIR] [--out DIR]
// Rows are copied byte for byte (header, line endings and quirks kept); only whole rows are cut.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  aggregateTrace,
  formatTraceBucketsCsv,
  missingIntervals,
  parseCarbonCsv,
  parseLlmTraceCsv,
  parsePriceCsv,
  SHIPPED_DATA,
  zoneRule,
} from '../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const source = resolve(arg('--source', '../shared/data'));
const out = resolve(arg('--out', 'data'));
const fromMs = Date.parse(SHIPPED_DATA.fromUtc);
const toMs = Date.parse(SHIPPED_DATA.toUtc);
const manifest: string[] = [
  '| file | rows | bytes | sha256 (first 16) | first row | last row |',
  '|---|---|---|---|---|---|',
];

/** Splits keeping each line's own terminator, so CRLF files stay CRLF. */
function rawLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function write(rel: string, content: string): void {
  const path = join(out, rel);
  writeFileSync(path, content);
  const lines = rawLines(content);
  const strip = (l: string | undefined) => (l ?? '').replace(/\r?\n$/, '');
  const sha = createHash('sha256').update(content).digest('hex').slice(0, 16);
  manifest.push(
    `| ${rel} | ${lines.length - 1} | ${Buffer.byteLength(content)} | ${sha} | ${strip(lines[1])} | ${strip(lines.at(-1))} |`,
  );
}

mkdirSync(join(out, 'prices'), { recursive: true });
mkdirSync(join(out, 'carbon'), { recursive: true });
mkdirSync(join(out, 'llm-traces'), { recursive: true });

for (const zone of SHIPPED_DATA.priceZones) {
  const text = readFileSync(join(source, 'prices-2023', `${zone}_electricity_prices_2023.csv`), 'utf8');
  const [header = '', ...rows] = rawLines(text);
  const headerLine = header.replace(/\r?\n$/, '');
  const kept = rows.filter((row) => {
    // Each row alone through the real reader: its UTC instant under the zone's time rule.
    const parsed = parsePriceCsv(`${headerLine}\n${row}`, zone);
    const point = parsed.points[0];
    if (point === undefined) return /^2023-03-/.test(row); // EU spring-forward row (no instant): keep the quirk
    const t = Date.parse(point.intervalStartUtc);
    return t >= fromMs && t < toMs;
  });
  const content = header + kept.join('');
  const series = parsePriceCsv(content, zone);
  const gaps = missingIntervals(series.points, SHIPPED_DATA.fromUtc, SHIPPED_DATA.toUtc);
  if (gaps.length > 0) console.warn(`${zone}: ${gaps.length} missing hours, first ${gaps[0]}`);
  write(SHIPPED_DATA.price(zone), content);
}

for (const zone of SHIPPED_DATA.carbonZones) {
  const file = zoneRule(zone).carbonFile;
  if (file === null) throw new Error(`${zone} has no carbon file`);
  const text = readFileSync(join(source, 'carbon-2023', `${file}_2023_hourly.csv`), 'utf8');
  const [header = '', ...rows] = rawLines(text);
  const kept = rows.filter((row) => {
    const t = Date.parse(`${row.slice(0, 10)}T${row.slice(11, 19)}Z`);
    return t >= fromMs && t < toMs;
  });
  const content = header + kept.join('');
  const series = parseCarbonCsv(content);
  if (series.points.length !== (toMs - fromMs) / 3_600_000) throw new Error(`${zone}: carbon hours missing`);
  write(SHIPPED_DATA.carbon(zone), content);
}

for (const service of ['code', 'conv'] as const) {
  const text = readFileSync(join(source, 'llm-traces', `AzureLLMInferenceTrace_${service}.csv`), 'utf8');
  const trace = parseLlmTraceCsv(text, service);
  const first = trace.requests[0];
  const last = trace.requests.at(-1);
  if (first === undefined || last === undefined) throw new Error(`${service}: empty trace`);
  // Whole minutes only: from the first full minute after the first request.
  const startMs = Math.ceil(first.timeMs / 60_000) * 60_000;
  const endMs = startMs + 20 * 60_000;
  const [header = '', ...rows] = rawLines(text);
  const kept = rows.filter((row) => {
    const t = Date.parse(`${row.slice(0, 10)}T${row.slice(11, 23)}Z`);
    return t >= startMs && t < endMs;
  });
  // A row copied from the end of the file would lack its CRLF; none is (the slice stops 20 minutes in).
  write(SHIPPED_DATA.trace(service), header + kept.join(''));
  const lastFullMinuteEnd = Math.floor(last.timeMs / 60_000) * 60_000;
  const buckets = aggregateTrace(trace.requests, { fromMs: startMs, toMs: lastFullMinuteEnd });
  write(SHIPPED_DATA.tracePerMinute(service), formatTraceBucketsCsv(buckets));
}

copyFileSync(join(source, 'fx-2023.json'), join(out, SHIPPED_DATA.fx));
console.log(manifest.join('\n'));
