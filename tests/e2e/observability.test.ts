import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { services, uniqueSuffix } from '../support/harness.js';
import { repoRoot, startNode, waitForHttp, type RunningProcess } from '../support/processes.js';

// Every metric the alert rules and the Grafana dashboard name exists on the running apps' /metrics.

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
}

const rules = parse(readFileSync(`${repoRoot}infra/observability/alerts.yml`, 'utf8')) as RuleFile;
const dashboard = JSON.parse(
  readFileSync(`${repoRoot}infra/observability/grafana-dashboard.json`, 'utf8'),
) as Dashboard;

/** Metric names in a PromQL expression (gridshift's own and the Node.js defaults), histogram series folded. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:gridshift|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) =>
    m[1]!.replace(/_(bucket|sum|count)$/, ''),
  );
}

/** Every metric name the alert rules and the dashboard use. */
const named = new Set(
  [
    ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ...dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr),
  ].flatMap(metricNames),
);

const apps = [
  { name: 'ingest', port: 23151 },
  { name: 'planner', port: 23152 },
] as const;
const running: RunningProcess[] = [];
const exposed = new Set<string>();

beforeAll(async () => {
  const { databaseUrl, kafkaBrokers } = services();
  const schema = `t_obs_${uniqueSuffix()}`;
  for (const { name, port } of apps) {
    const app = startNode(`dist/apps/${name}/src/main.js`, {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `t-obs-${uniqueSuffix()}.`,
      INGEST_GROUP_ID: `t-obs-${uniqueSuffix()}`,
      PLANNER_CRON: '0 0 1 1 *',
      PORT: String(port),
    });
    running.push(app);
    await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
  }
  // Some series are registered lazily (the planner's relay, once it leads): read /metrics until every named one is
  // there or 60 s passed (a fixed 3 s wait was too short on a loaded machine); the test below lists what is missing.
  const deadline = Date.now() + 60_000;
  do {
    for (const { port } of apps) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const m of text.matchAll(/^# TYPE (\S+) /gm)) exposed.add(m[1]!);
    }
    if ([...named].every((n) => exposed.has(n))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  } while (Date.now() < deadline);
}, 120_000);

afterAll(async () => {
  for (const app of running) await app.stop();
});

describe('observability', () => {
  const fromRules = rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `alert ${r.alert ?? r.record}`, names: metricNames(r.expr) })),
  );
  const fromDashboard = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, names: metricNames(t.expr) })),
  );

  it('the rules and the dashboard name metrics at all', () => {
    expect(fromRules.length).toBeGreaterThanOrEqual(6);
    expect(fromDashboard.length).toBeGreaterThanOrEqual(10);
    for (const { where, names } of [...fromRules, ...fromDashboard]) expect(names, where).not.toHaveLength(0);
  });

  it('every metric they name is exposed on /metrics of ingest or planner', () => {
    const missing = [...fromRules, ...fromDashboard].flatMap(({ where, names }) =>
      names.filter((n) => !exposed.has(n)).map((n) => `${where}: ${n}`),
    );
    expect(missing).toEqual([]);
  });
});
