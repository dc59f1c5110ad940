/** One chaos scenario's outcome (`npm run chaos -- --json FILE` writes an array of these). */
export interface ChaosRow {
  scenario: string;
  /** Distinct message-ids the scenario's producer had acknowledged (or, for placements, the outbox rows). */
  sent: number;
  /** Sent message-ids found in the sink (stored rows, dead letters with the expected code, or delivered orders). */
  stored: number;
  /** sent − stored. */
  lost: number;
  /** Sink records beyond the first for the same message-id (after dedupe on `message-id` one would remain). */
  duplicates: number;
  /** Seconds from the end of the fault until the sink held everything sent before it (per scenario: docs/operations.md). */
  recoverySeconds: number;
}

/**
 * Counts a scenario: `sentIds` what went in, `sinkIds` one entry per record in the sink (a message-id may repeat).
 * Sink ids that were never sent are returned as `unexpected` (the caller asserts there are none).
 */
export function tallyChaos(
  scenario: string,
  sentIds: Iterable<string>,
  sinkIds: readonly string[],
  recoverySeconds: number,
): { row: ChaosRow; unexpected: string[] } {
  const sent = new Set(sentIds);
  const seen = new Set<string>();
  let duplicates = 0;
  for (const id of sinkIds) {
    if (seen.has(id)) duplicates += 1;
    else seen.add(id);
  }
  let stored = 0;
  for (const id of sent) if (seen.has(id)) stored += 1;
  const unexpected = [...seen].filter((id) => !sent.has(id));
  return {
    row: {
      scenario,
      sent: sent.size,
      stored,
      lost: sent.size - stored,
      duplicates,
      recoverySeconds: Math.round(recoverySeconds * 10) / 10,
    },
    unexpected,
  };
}

/** The rows as a Markdown table (the README's reliability section shows one). */
export function chaosTable(rows: readonly ChaosRow[]): string {
  const lines = [
    '| scenario | sent | stored | lost | duplicates | recovery s |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.sent.toLocaleString('en-US')} | ${r.stored.toLocaleString('en-US')} | ${r.lost} | ${r.duplicates} | ${r.recoverySeconds.toFixed(1)} |`,
    ),
  ];
  return lines.join('\n');
}
