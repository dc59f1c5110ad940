/**
 * Admin API over HTTP against real PostgreSQL (the app started from dist/ as an operator would):
 * every route × {no key, bad key, viewer, operator, admin}, validation problems naming the field, unknown
 * ids, keys (hashed, shown once, revoked), the OpenAPI document, rate limiting.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchedule, insertSchedule } from '../../apps/admin-api/test-support/schedule-fixtures.js';
import { freshSchema, services, uniqueSuffix } from '../support/harness.js';
import { type RunningProcess, startNode, waitForHttp } from '../support/processes.js';

const PORT = 23140;
const BASE = `http://127.0.0.1:${PORT}`;
const BOOTSTRAP = `bootstrap-${randomBytes(24).toString('hex')}`;

type Cred = 'none' | 'bad' | 'viewer' | 'operator' | 'admin';
type Role = 'viewer' | 'operator' | 'admin';
const CREDS: Cred[] = ['none', 'bad', 'viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
/**
 * After a graceful shutdown Nest 12 re-raises the signal (libs/platform's bootstrap does not ask for
 * `useProcessExit`), so a clean stop ends with exit code 0 or by SIGTERM.
 */
const CLEAN_STOP: (number | string)[] = [0, 'SIGTERM'];

let db: DataSource;
let drop: () => Promise<void>;
let app: RunningProcess;
const keys: Record<Role, string> = { viewer: '', operator: '', admin: '' };

async function call(
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string } = {},
): Promise<{ status: number; type: string; json: unknown; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json, headers: res.headers };
}

const keyOf = (cred: Cred): string | undefined =>
  cred === 'none'
    ? undefined
    : cred === 'bad'
      ? `gsk_00000000_${randomBytes(32).toString('base64url')}`
      : keys[cred];

let counter = 0;
const next = () => (counter += 1);
/** Unique three-letter currency codes for PUT/DELETE /exchange-rates. */
const currency = () => {
  const n = next();
  return `Q${String.fromCharCode(65 + (Math.floor(n / 26) % 26))}${String.fromCharCode(65 + (n % 26))}`;
};

const horizonStart = '2024-03-02T00:00:00.000Z';
let scheduleId = '';
let planRequestId = '';
let scheduleVersion = 100;

async function draftSchedule(): Promise<string> {
  scheduleVersion += 1;
  const fixture = buildSchedule({
    seed: scheduleVersion,
    jobs: 3,
    clusters: 2,
    slots: 4,
    horizonStart,
    status: 'draft',
    version: scheduleVersion,
  });
  await insertSchedule(db, fixture);
  return fixture.id;
}

async function createJob(): Promise<string> {
  const id = `job-${next()}`;
  const res = await call('POST', '/jobs', { key: keys.admin, body: jobBody(id) });
  expect(res.status).toBe(201);
  return id;
}

const jobBody = (id?: string) => ({
  ...(id ? { id } : {}),
  name: 'chat',
  model: 'llama-3-70b',
  kind: 'interactive',
  tokensPerSecondPerGpu: { H100: 2400 },
  tokensPerHour: 1e8,
  origin: 'eu-users',
  tier: 'standard',
  maxGpus: 64,
});

interface Route {
  method: string;
  /** The path as called when the call is refused (any existing-looking target will do: guards run first). */
  path: string;
  /** Builds a fresh target for a call that should succeed (defaults to `path`). */
  prepare?: () => Promise<string> | string;
  role: Role | 'public';
  ok: number;
  body?: () => unknown;
}

const SOME_UUID = '00000000-0000-4000-8000-000000000001';

const routes: Route[] = [
  { method: 'GET', path: '/health', role: 'public', ok: 200 },
  { method: 'GET', path: '/ready', role: 'public', ok: 200 },
  { method: 'GET', path: '/metrics', role: 'public', ok: 200 },
  { method: 'GET', path: '/docs-json', role: 'public', ok: 200 },
  { method: 'GET', path: '/docs', role: 'public', ok: 200 },
  // api keys
  { method: 'GET', path: '/api-keys', role: 'admin', ok: 200 },
  { method: 'GET', path: '/api-keys/me', role: 'viewer', ok: 200 },
  {
    method: 'POST',
    path: '/api-keys',
    role: 'admin',
    ok: 201,
    body: () => ({ name: `k${next()}`, role: 'viewer' }),
  },
  {
    method: 'POST',
    path: `/api-keys/${SOME_UUID}/revoke`,
    prepare: async () => {
      const res = await call('POST', '/api-keys', {
        key: keys.admin,
        body: { name: `r${next()}`, role: 'viewer' },
      });
      return `/api-keys/${(res.json as { id: string }).id}/revoke`;
    },
    role: 'admin',
    ok: 200,
    body: () => ({ reason: 'matrix' }),
  },
  // fleet
  { method: 'GET', path: '/clusters', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/clusters/c-main', role: 'viewer', ok: 200 },
  {
    method: 'POST',
    path: '/clusters',
    role: 'admin',
    ok: 201,
    body: () => ({
      id: `c-${next()}`,
      name: 'x',
      region: 'eu',
      zone: 'Z0',
      gpuModel: 'H100',
      gpuTotal: 8,
      kwPerGpu: 0.7,
      pue: 1.2,
    }),
  },
  {
    method: 'PATCH',
    path: '/clusters/c-main',
    role: 'admin',
    ok: 200,
    body: () => ({ gpuTotal: 100 + next() }),
  },
  { method: 'GET', path: '/zones', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/zones/Z0', role: 'viewer', ok: 200 },
  {
    method: 'PUT',
    path: '/zones/ZX-0',
    prepare: () => `/zones/ZN-${next()}`,
    role: 'admin',
    ok: 201,
    body: () => ({ name: 'n', currency: 'EUR' }),
  },
  { method: 'GET', path: '/exchange-rates', role: 'viewer', ok: 200 },
  {
    method: 'PUT',
    path: '/exchange-rates/QZZ',
    prepare: () => `/exchange-rates/${currency()}`,
    role: 'admin',
    ok: 201,
    body: () => ({ perBase: 1.5 }),
  },
  {
    method: 'DELETE',
    path: '/exchange-rates/QZZ',
    prepare: async () => {
      const code = currency();
      expect(
        (await call('PUT', `/exchange-rates/${code}`, { key: keys.admin, body: { perBase: 2 } })).status,
      ).toBe(201);
      return `/exchange-rates/${code}`;
    },
    role: 'admin',
    ok: 204,
  },
  // jobs
  { method: 'GET', path: '/jobs', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/jobs/j-main', role: 'viewer', ok: 200 },
  { method: 'POST', path: '/jobs', role: 'operator', ok: 201, body: () => jobBody() },
  {
    method: 'PATCH',
    path: '/jobs/j-main',
    role: 'operator',
    ok: 200,
    body: () => ({ maxGpus: 10 + next() }),
  },
  {
    method: 'POST',
    path: '/jobs/j-main/pause',
    prepare: async () => `/jobs/${await createJob()}/pause`,
    role: 'operator',
    ok: 200,
    body: () => ({}),
  },
  {
    method: 'POST',
    path: '/jobs/j-main/resume',
    prepare: async () => `/jobs/${await createJob()}/resume`,
    role: 'operator',
    ok: 200,
    body: () => ({}),
  },
  {
    method: 'DELETE',
    path: '/jobs/j-main',
    prepare: async () => `/jobs/${await createJob()}`,
    role: 'operator',
    ok: 204,
  },
  {
    method: 'POST',
    path: '/jobs/j-main/pins',
    prepare: async () => `/jobs/${await createJob()}/pins`,
    role: 'operator',
    ok: 202,
    body: () => ({ clusterId: 'c-main', mode: 'forbid', reason: 'matrix' }),
  },
  // market views
  { method: 'GET', path: '/prices?zone=Z0', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/prices/freshness', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/load?clusterId=c-main', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/load/latest', role: 'viewer', ok: 200 },
  // schedules
  { method: 'GET', path: '/schedules', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/schedules/:schedule', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/schedules/:schedule/placements', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/schedules/:schedule/jobs/job-00000', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/schedules/:schedule/diff', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/schedules/:schedule/prices', role: 'viewer', ok: 200 },
  {
    method: 'POST',
    path: '/schedules/:schedule/approve',
    prepare: async () => `/schedules/${await draftSchedule()}/approve`,
    role: 'operator',
    ok: 200,
    body: () => ({}),
  },
  {
    method: 'POST',
    path: '/schedules/:schedule/reject',
    prepare: async () => `/schedules/${await draftSchedule()}/reject`,
    role: 'operator',
    ok: 200,
    body: () => ({ reason: 'matrix' }),
  },
  { method: 'POST', path: '/plans', role: 'operator', ok: 202, body: () => ({ reason: 'matrix' }) },
  { method: 'GET', path: '/plans/:plan', role: 'viewer', ok: 200 },
  {
    method: 'POST',
    path: '/what-ifs',
    role: 'operator',
    ok: 201,
    body: () => ({ scenario: { priceMultiplierByZone: { Z0: 2 } } }),
  },
  {
    method: 'GET',
    path: '/reports/savings?from=2024-03-01T00:00:00Z&to=2024-03-03T00:00:00Z',
    role: 'viewer',
    ok: 200,
  },
  {
    method: 'GET',
    path: '/reports/measured-savings?from=2024-03-01T00:00:00Z&to=2024-03-03T00:00:00Z&groupBy=cluster',
    role: 'viewer',
    ok: 200,
  },
  // closed loop: delivery state and refused-job exclusions (no exclusion exists: an allowed clear reaches the
  // handler and answers 404)
  { method: 'GET', path: '/schedules/:schedule/delivery', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/deliveries/exclusions', role: 'viewer', ok: 200 },
  // alerts: dead letters recorded by the ingest, orders not acknowledged in time
  { method: 'GET', path: '/dead-letters?windowMinutes=60', role: 'viewer', ok: 200 },
  { method: 'GET', path: '/deliveries/unacknowledged', role: 'viewer', ok: 200 },
  {
    method: 'POST',
    path: '/deliveries/exclusions/999999/clear',
    role: 'operator',
    ok: 404,
    body: () => ({ reason: 'the site lifted its rule' }),
  },
  // grid events: no event QZZ exists, so an allowed call reaches the handler and answers 404
  { method: 'GET', path: '/grid-events/QZZ/performance', role: 'viewer', ok: 404 },
  { method: 'GET', path: '/audit-log', role: 'viewer', ok: 200 },
];

/** Fills `:schedule` and `:plan` with the ids made in beforeAll. */
const fill = (path: string) => path.replace(':schedule', scheduleId).replace(':plan', planRequestId);

beforeAll(async () => {
  const { databaseUrl, kafkaBrokers } = services();
  const fresh = await freshSchema(import.meta.filename);
  db = fresh.dataSource;
  drop = fresh.drop;
  app = startNode('dist/apps/admin-api/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: fresh.schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `t-${uniqueSuffix()}.`,
    PORT: String(PORT),
    ADMIN_BOOTSTRAP_KEY: BOOTSTRAP,
    RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_FAILURES_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  });
  await waitForHttp(`${BASE}/health`, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${app.output()}`);
  });
  keys.admin = BOOTSTRAP;
  for (const role of ['viewer', 'operator'] as const) {
    const res = await call('POST', '/api-keys', { key: BOOTSTRAP, body: { name: `${role}-key`, role } });
    expect(res.status).toBe(201);
    keys[role] = (res.json as { key: string }).key;
  }
  expect(
    (await call('PUT', '/zones/Z0', { key: BOOTSTRAP, body: { name: 'zone 0', currency: 'EUR' } })).status,
  ).toBe(201);
  const cluster = {
    id: 'c-main',
    name: 'main',
    region: 'eu',
    zone: 'Z0',
    gpuModel: 'H100',
    gpuTotal: 64,
    kwPerGpu: 0.7,
    pue: 1.2,
    latencyMsByOrigin: { 'eu-users': 10 },
  };
  expect((await call('POST', '/clusters', { key: BOOTSTRAP, body: cluster })).status).toBe(201);
  expect((await call('POST', '/jobs', { key: BOOTSTRAP, body: jobBody('j-main') })).status).toBe(201);
  const fixture = buildSchedule({
    seed: 1,
    jobs: 5,
    clusters: 3,
    slots: 6,
    horizonStart,
    status: 'published',
    version: 1,
    publishedAt: horizonStart,
  });
  await insertSchedule(db, fixture);
  scheduleId = fixture.id;
  planRequestId = ((await call('POST', '/plans', { key: BOOTSTRAP, body: {} })).json as { id: string }).id;
});

afterAll(async () => {
  try {
    if (app) expect(CLEAN_STOP).toContain(await app.stop('SIGTERM'));
  } finally {
    await drop?.();
  }
});

describe('role matrix', () => {
  const cases = routes.flatMap((route) => CREDS.map((cred) => ({ route, cred })));
  it.each(cases)('$route.method $route.path as $cred', async ({ route, cred }) => {
    const expected =
      route.role === 'public'
        ? route.ok
        : cred === 'none' || cred === 'bad'
          ? 401
          : RANK[cred] >= RANK[route.role]
            ? route.ok
            : 403;
    // A fresh target only for calls meant to succeed; refused calls never reach the handler.
    const path = fill(expected === route.ok && route.prepare ? await route.prepare() : route.path);
    const body = route.body ? await route.body() : undefined;
    const res = await call(route.method, path, { key: keyOf(cred), body });
    expect({ status: res.status, body: res.status === expected ? null : res.json }).toEqual({
      status: expected,
      body: null,
    });
    if (res.status === 401 || res.status === 403) {
      expect(res.type).toContain('application/problem+json');
      expect(res.json).toMatchObject({ status: res.status, instance: path.split('?')[0] });
    }
    if (res.status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('every route is in the matrix', () => {
  it('covers each operation of the OpenAPI document', async () => {
    const doc = (await call('GET', '/docs-json')).json as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, ':p')}`),
    );
    const normalise = (p: string) =>
      p
        .split('?')[0]!
        .replace(/\/(:schedule|:plan|[0-9a-f-]{36})(?=\/|$)/g, '/:p')
        .replace(/\/(c-main|j-main|job-00000|Z0|ZX-0|QZZ|999999)(?=\/|$)/g, '/:p');
    const tested = new Set(routes.map((route) => `${route.method} ${normalise(route.path)}`));
    const missing = documented.filter((op) => !tested.has(op) && !op.startsWith('GET /docs'));
    expect(missing).toEqual([]);
  });
});

describe('validation', () => {
  const cases: {
    name: string;
    method: string;
    path: string;
    body?: unknown;
    raw?: string;
    field: string;
    in: string;
  }[] = [
    {
      name: 'cluster: negative GPUs',
      method: 'POST',
      path: '/clusters',
      body: {
        id: 'x1',
        name: 'x',
        region: 'eu',
        zone: 'Z0',
        gpuModel: 'H100',
        gpuTotal: -1,
        kwPerGpu: 0.7,
        pue: 1.2,
      },
      field: 'gpuTotal',
      in: 'body',
    },
    {
      name: 'cluster: PUE below 1',
      method: 'POST',
      path: '/clusters',
      body: {
        id: 'x1',
        name: 'x',
        region: 'eu',
        zone: 'Z0',
        gpuModel: 'H100',
        gpuTotal: 1,
        kwPerGpu: 0.7,
        pue: 0.9,
      },
      field: 'pue',
      in: 'body',
    },
    {
      name: 'cluster: missing zone',
      method: 'POST',
      path: '/clusters',
      body: { id: 'x1', name: 'x', region: 'eu', gpuModel: 'H100', gpuTotal: 1, kwPerGpu: 0.7, pue: 1.1 },
      field: 'zone',
      in: 'body',
    },
    {
      name: 'cluster: unknown field',
      method: 'POST',
      path: '/clusters',
      body: {
        id: 'x1',
        name: 'x',
        region: 'eu',
        zone: 'Z0',
        gpuModel: 'H100',
        gpuTotal: 1,
        kwPerGpu: 0.7,
        pue: 1.1,
        colour: 'red',
      },
      field: 'colour',
      in: 'body',
    },
    {
      name: 'cluster: bad latency',
      method: 'PATCH',
      path: '/clusters/c-main',
      body: { latencyMsByOrigin: { 'eu-users': -5 } },
      field: 'latencyMsByOrigin.eu-users',
      in: 'body',
    },
    {
      name: 'cluster: empty patch',
      method: 'PATCH',
      path: '/clusters/c-main',
      body: {},
      field: '(body)',
      in: 'body',
    },
    {
      name: 'zone: bad currency',
      method: 'PUT',
      path: '/zones/Z9',
      body: { name: 'z', currency: 'euro' },
      field: 'currency',
      in: 'body',
    },
    {
      name: 'zone: bad time zone',
      method: 'PUT',
      path: '/zones/Z9',
      body: { name: 'z', currency: 'EUR', timeZone: 'Mars/Olympus' },
      field: 'timeZone',
      in: 'body',
    },
    {
      name: 'rate: zero',
      method: 'PUT',
      path: '/exchange-rates/GBP',
      body: { perBase: 0 },
      field: 'perBase',
      in: 'body',
    },
    {
      name: 'rate: bad currency in path',
      method: 'PUT',
      path: '/exchange-rates/gbp',
      body: { perBase: 1 },
      field: 'currency',
      in: 'path',
    },
    {
      name: 'job: unknown kind',
      method: 'POST',
      path: '/jobs',
      body: { ...jobBody(), kind: 'stream' },
      field: 'kind',
      in: 'body',
    },
    {
      name: 'job: no token rates',
      method: 'POST',
      path: '/jobs',
      body: { ...jobBody(), tokensPerSecondPerGpu: {} },
      field: 'tokensPerSecondPerGpu',
      in: 'body',
    },
    {
      name: 'job: batch without deadline',
      method: 'POST',
      path: '/jobs',
      body: { ...jobBody(), kind: 'batch', tokensPerHour: undefined, totalTokens: 1e9 },
      field: 'deadline',
      in: 'body',
    },
    {
      name: 'job: demand profile of 23 hours',
      method: 'POST',
      path: '/jobs',
      body: { ...jobBody(), demandProfile: Array.from({ length: 23 }, () => 1) },
      field: 'demandProfile',
      in: 'body',
    },
    {
      name: 'job: batch field on an interactive job',
      method: 'PATCH',
      path: '/jobs/j-main',
      body: { totalTokens: 5 },
      field: 'totalTokens',
      in: 'body',
    },
    {
      name: 'job: bad pin mode',
      method: 'POST',
      path: '/jobs/j-main/pins',
      body: { clusterId: 'c-main', mode: 'maybe' },
      field: 'mode',
      in: 'body',
    },
    {
      name: 'schedule: reject without reason',
      method: 'POST',
      path: '/schedules/00000000-0000-4000-8000-000000000000/reject',
      body: {},
      field: 'reason',
      in: 'body',
    },
    { name: 'schedule: malformed id', method: 'GET', path: '/schedules/not-a-uuid', field: 'id', in: 'path' },
    {
      name: 'schedules: bad status',
      method: 'GET',
      path: '/schedules?status=draft,lost',
      field: 'status[1]',
      in: 'query',
    },
    {
      name: 'schedules: limit too big',
      method: 'GET',
      path: '/schedules?limit=1000',
      field: 'limit',
      in: 'query',
    },
    {
      name: 'schedules: naive timestamp',
      method: 'GET',
      path: '/schedules?from=2024-03-01T00:00:00',
      field: 'from',
      in: 'query',
    },
    {
      name: 'schedules: unknown query',
      method: 'GET',
      path: '/schedules?colour=red',
      field: 'colour',
      in: 'query',
    },
    {
      name: 'schedules: bad cursor',
      method: 'GET',
      path: '/schedules?cursor=xyz',
      field: 'cursor',
      in: 'query',
    },
    { name: 'prices: missing zone', method: 'GET', path: '/prices', field: 'zone', in: 'query' },
    {
      name: 'prices: range reversed',
      method: 'GET',
      path: '/prices?zone=Z0&from=2024-03-02T00:00:00Z&to=2024-03-01T00:00:00Z',
      field: 'to',
      in: 'query',
    },
    {
      name: 'savings: range too long',
      method: 'GET',
      path: '/reports/savings?from=2024-01-01T00:00:00Z&to=2024-12-01T00:00:00Z',
      field: 'to',
      in: 'query',
    },
    { name: 'audit: bad cursor', method: 'GET', path: '/audit-log?cursor=abc', field: 'cursor', in: 'query' },
    {
      name: 'what-if: unknown scenario field',
      method: 'POST',
      path: '/what-ifs',
      body: { scenario: { priceMultiplierByZones: {} } },
      field: 'scenario.priceMultiplierByZones',
      in: 'body',
    },
    {
      name: 'what-if: negative multiplier',
      method: 'POST',
      path: '/what-ifs',
      body: { scenario: { priceMultiplierByZone: { Z0: -1 } } },
      field: 'scenario.priceMultiplierByZone.Z0',
      in: 'body',
    },
    {
      name: 'api key: bad role',
      method: 'POST',
      path: '/api-keys',
      body: { name: 'k', role: 'root' },
      field: 'role',
      in: 'body',
    },
    { name: 'malformed JSON', method: 'POST', path: '/jobs', raw: '{"name": ', field: '(body)', in: 'body' },
    {
      name: 'job: unknown home cluster',
      method: 'POST',
      path: '/jobs',
      body: { ...jobBody(), homeClusterId: 'no-such-cluster' },
      field: 'homeClusterId',
      in: 'body',
    },
  ];
  it.each(cases)('$name → 400 naming $field', async (c) => {
    const res = await call(c.method, c.path, { key: keys.admin, body: c.body, rawBody: c.raw });
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    const problem = res.json as {
      type: string;
      title: string;
      status: number;
      detail: string;
      instance: string;
      errors: { field: string; in: string; message: string }[];
    };
    expect(problem).toMatchObject({ status: 400, instance: c.path.split('?')[0] });
    expect(problem.type).toMatch(/^https:\/\/gridshift\.dev\/problems\//);
    expect(problem.detail.length).toBeGreaterThan(5);
    expect(problem.errors).toContainEqual(expect.objectContaining({ field: c.field, in: c.in }));
  });

  const unknown = randomUUID();
  const notFound: { name: string; method: string; path: string; body?: unknown; field?: string }[] = [
    { name: 'cluster', method: 'GET', path: '/clusters/nope' },
    { name: 'cluster patch', method: 'PATCH', path: '/clusters/nope', body: { gpuTotal: 1 } },
    {
      name: 'zone of a new cluster',
      method: 'POST',
      path: '/clusters',
      body: {
        id: 'x2',
        name: 'x',
        region: 'eu',
        zone: 'NOPE',
        gpuModel: 'H100',
        gpuTotal: 1,
        kwPerGpu: 0.7,
        pue: 1.1,
      },
      field: 'zone',
    },
    { name: 'zone', method: 'GET', path: '/zones/NOPE' },
    { name: 'exchange rate', method: 'DELETE', path: '/exchange-rates/XYZ' },
    { name: 'job', method: 'GET', path: '/jobs/nope' },
    { name: 'job patch', method: 'PATCH', path: '/jobs/nope', body: { maxGpus: 2 } },
    { name: 'job pause', method: 'POST', path: '/jobs/nope/pause', body: {} },
    { name: 'job delete', method: 'DELETE', path: '/jobs/nope' },
    {
      name: 'pin on an unknown cluster',
      method: 'POST',
      path: '/jobs/j-main/pins',
      body: { clusterId: 'nope', mode: 'pin' },
      field: 'clusterId',
    },
    { name: 'schedule', method: 'GET', path: `/schedules/${unknown}` },
    { name: 'schedule placements', method: 'GET', path: `/schedules/${unknown}/placements` },
    { name: 'schedule diff', method: 'GET', path: `/schedules/${unknown}/diff` },
    { name: 'diff against', method: 'GET', path: '/schedules/:id/diff?against=' + unknown, field: 'against' },
    { name: 'approve', method: 'POST', path: `/schedules/${unknown}/approve`, body: {} },
    { name: 'reject', method: 'POST', path: `/schedules/${unknown}/reject`, body: { reason: 'x' } },
    { name: 'plan request', method: 'GET', path: `/plans/${unknown}` },
    { name: 'api key revoke', method: 'POST', path: `/api-keys/${unknown}/revoke`, body: {} },
    { name: 'job in a schedule', method: 'GET', path: '/schedules/:id/jobs/not-in-it' },
  ];
  it.each(notFound)('unknown $name → 404', async (c) => {
    const path = c.path.replace(':id', scheduleId);
    const res = await call(c.method, path, { key: keys.admin, body: c.body });
    expect(res.status).toBe(404);
    expect(res.type).toContain('application/problem+json');
    expect((res.json as { detail: string }).detail).toMatch(/does not exist/);
    if (c.field)
      expect((res.json as { errors: { field: string }[] }).errors).toContainEqual(
        expect.objectContaining({ field: c.field }),
      );
  });

  it('answers an unknown route with a problem', async () => {
    const res = await call('GET', '/nowhere', { key: keys.viewer });
    expect(res.status).toBe(404);
    expect(res.type).toContain('application/problem+json');
  });

  it('refuses to approve what is not a draft (409)', async () => {
    const res = await call('POST', `/schedules/${scheduleId}/approve`, { key: keys.operator, body: {} });
    expect(res.status).toBe(409);
    expect((res.json as { detail: string }).detail).toMatch(/published/);
  });
});

describe('api keys', () => {
  it('stores only a hash, shows the key once, and a revoked key stops working at once', async () => {
    const created = await call('POST', '/api-keys', {
      key: keys.admin,
      body: { name: 'temp', role: 'operator' },
    });
    const { key, id, keyPrefix } = created.json as { key: string; id: string; keyPrefix: string };
    expect(key.startsWith(keyPrefix)).toBe(true);
    const stored = await db.query<{ key_hash: string }[]>(`select key_hash from api_keys where id = $1`, [
      id,
    ]);
    expect(stored[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await db.query(`select * from api_keys`))).not.toContain(key);
    const list = (await call('GET', '/api-keys', { key: keys.admin })).json as {
      items: Record<string, unknown>[];
    };
    expect(JSON.stringify(list)).not.toContain(key);
    expect((await call('GET', '/jobs', { key })).status).toBe(200);
    expect(
      (await call('POST', `/api-keys/${id}/revoke`, { key: keys.admin, body: { reason: 'test' } })).status,
    ).toBe(200);
    expect((await call('GET', '/jobs', { key })).status).toBe(401);
    const audit = (await call('GET', `/audit-log?targetType=api-key&targetId=${id}`, { key: keys.viewer }))
      .json as { items: { action: string; actor: string }[] };
    expect(audit.items.map((a) => a.action)).toEqual(['api-key.revoke', 'api-key.create']);
    expect(audit.items[0]!.actor).toContain('bootstrap-admin');
  });

  it('will not revoke the last active admin key', async () => {
    const admins = (
      (await call('GET', '/api-keys', { key: keys.admin })).json as { items: { id: string; role: string }[] }
    ).items.filter((k) => k.role === 'admin');
    expect(admins).toHaveLength(1);
    const res = await call('POST', `/api-keys/${admins[0]!.id}/revoke`, { key: keys.admin, body: {} });
    expect(res.status).toBe(409);
  });
});

describe('jobs', () => {
  it('creates, updates, pauses (idempotently) and deletes a batch job, each change audited with before and after', async () => {
    const body = {
      id: 'embed-batch',
      name: 'nightly embeddings',
      model: 'bge-large',
      kind: 'batch',
      tokensPerSecondPerGpu: { H100: 9000 },
      totalTokens: 5e10,
      windowStart: '2024-03-02T00:00:00Z',
      deadline: '2024-03-02T06:00:00+01:00',
      origin: 'eu-users',
      residency: ['Z0'],
      tier: 'best-effort',
      maxGpus: 128,
    };
    const created = await call('POST', '/jobs', { key: keys.operator, body });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      kind: 'batch',
      deadline: '2024-03-02T05:00:00.000Z',
      tokensPerHour: null,
      status: 'active',
    });
    expect((await call('POST', '/jobs', { key: keys.operator, body })).status).toBe(409);
    const patched = await call('PATCH', '/jobs/embed-batch', {
      key: keys.operator,
      body: { totalTokens: 6e10, deadline: '2024-03-02T08:00:00Z' },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      totalTokens: 6e10,
      deadline: '2024-03-02T08:00:00.000Z',
      windowStart: '2024-03-02T00:00:00.000Z',
    });
    const early = await call('PATCH', '/jobs/embed-batch', {
      key: keys.operator,
      body: { deadline: '2024-03-01T00:00:00Z' },
    });
    expect(early.status).toBe(400);
    expect((early.json as { errors: { field: string }[] }).errors[0]!.field).toBe('deadline');
    for (let i = 0; i < 2; i += 1) {
      const paused = await call('POST', '/jobs/embed-batch/pause', {
        key: keys.operator,
        body: { reason: 'model upgrade' },
      });
      expect(paused.json).toMatchObject({ status: 'paused' });
    }
    expect(
      (
        (await call('GET', '/jobs?status=paused', { key: keys.viewer })).json as { items: { id: string }[] }
      ).items.map((j) => j.id),
    ).toContain('embed-batch');
    expect((await call('DELETE', '/jobs/embed-batch', { key: keys.operator })).status).toBe(204);
    expect((await call('GET', '/jobs/embed-batch', { key: keys.viewer })).status).toBe(404);
    const audit = (await call('GET', '/audit-log?targetType=job&targetId=embed-batch', { key: keys.viewer }))
      .json as {
      items: { action: string; before: unknown; after: unknown }[];
    };
    expect(audit.items.map((a) => a.action)).toEqual(['job.delete', 'job.pause', 'job.update', 'job.create']);
    expect(audit.items[2]).toMatchObject({ before: { totalTokens: 5e10 }, after: { totalTokens: 6e10 } });
  });

  it('pages jobs by id with a cursor', async () => {
    const first = (await call('GET', '/jobs?limit=2', { key: keys.viewer })).json as {
      items: { id: string }[];
      nextCursor: string;
    };
    const second = (await call('GET', `/jobs?limit=2&cursor=${first.nextCursor}`, { key: keys.viewer }))
      .json as { items: { id: string }[] };
    expect(first.items).toHaveLength(2);
    expect(second.items[0]!.id > first.items[1]!.id).toBe(true);
  });
});

describe('overrides', () => {
  it('pin/forbid changes the job, writes the audit row and files an override plan request together', async () => {
    const id = await createJob();
    const res = await call('POST', `/jobs/${id}/pins`, {
      key: keys.operator,
      body: { clusterId: 'c-main', mode: 'pin', reason: 'keep it close' },
    });
    expect(res.status).toBe(202);
    const { job, planRequest } = res.json as { job: { pins: unknown }; planRequest: { id: string } };
    expect(job.pins).toEqual({ mustRunIn: ['c-main'] });
    const forbid = await call('POST', `/jobs/${id}/pins`, {
      key: keys.operator,
      body: { clusterId: 'c-main', mode: 'forbid', replan: false },
    });
    expect((forbid.json as { job: { pins: unknown }; planRequest: unknown }).job.pins).toEqual({
      mustNotRunIn: ['c-main'],
    });
    expect((forbid.json as { planRequest: unknown }).planRequest).toBeNull();
    const request = (await call('GET', `/plans/${planRequest.id}`, { key: keys.viewer })).json as {
      trigger: string;
      requestedBy: string;
      reason: string;
    };
    expect(request).toMatchObject({ trigger: 'override', reason: 'keep it close' });
    expect(request.requestedBy).toMatch(/^operator-key \[gsk_/);
    const audit = (await call('GET', `/audit-log?targetType=job&targetId=${id}`, { key: keys.viewer }))
      .json as {
      items: { action: string; before: unknown; after: unknown; reason: string | null }[];
    };
    expect(audit.items.map((a) => a.action)).toEqual(['job.forbid', 'job.pin', 'job.create']);
    expect(audit.items[1]).toMatchObject({
      before: { pins: {} },
      after: { pins: { mustRunIn: ['c-main'] } },
      reason: 'keep it close',
    });
    // Same transaction: the plan request row was committed with the audit row (same transaction id).
    const xids = await db.query<{ table: string; xid: string }[]>(
      `select 'audit' as table, xmin::text as xid from audit_log where target_id = $1 and action = 'job.pin'
       union all select 'plan', xmin::text from plan_requests where id = $2`,
      [id, planRequest.id],
    );
    expect(new Set(xids.map((x) => x.xid)).size).toBe(1);
  });
});

describe('admin CLI', () => {
  it('creates a key (printed once on stdout) that the API accepts, lists and revokes it, all audited as cli', async () => {
    const { databaseUrl } = services();
    const schema = (await db.query<{ s: string }[]>(`select current_schema() as s`))[0]!.s;
    const env = { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema };
    const create = startNode('dist/apps/admin-api/src/cli.js', env, [
      'create-key',
      '--role',
      'operator',
      '--name',
      'from-cli',
    ]);
    expect(await create.exited).toBe(0);
    const key = create
      .output()
      .split('\n')
      .find((line) => line.startsWith('gsk_'))!;
    expect(key).toMatch(/^gsk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect((await call('POST', '/jobs', { key, body: jobBody() })).status).toBe(201);
    const list = startNode('dist/apps/admin-api/src/cli.js', env, ['list-keys']);
    expect(await list.exited).toBe(0);
    const line = list
      .output()
      .split('\n')
      .find((l) => l.includes('from-cli'))!;
    expect(line).not.toContain(key);
    const revoke = startNode('dist/apps/admin-api/src/cli.js', env, [
      'revoke-key',
      '--id',
      line.split(' ')[0]!,
      '--reason',
      'test',
    ]);
    expect(await revoke.exited).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const audit = await db.query<{ action: string }[]>(
      `select action from audit_log where actor = 'cli' order by id`,
    );
    expect(audit.map((a) => a.action)).toEqual(['api-key.create', 'api-key.revoke']);
    const bad = startNode('dist/apps/admin-api/src/cli.js', env, [
      'create-key',
      '--role',
      'root',
      '--name',
      'x',
    ]);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('--role must be one of viewer, operator, admin');
  });
});

describe('OpenAPI', () => {
  it('documents every operation with its role, bodies with examples, and problem responses', async () => {
    const doc = (await call('GET', '/docs-json')).json as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            'x-required-role'?: string;
            security?: unknown[];
            responses: Record<string, unknown>;
            requestBody?: unknown;
          }
        >
      >;
      components: {
        schemas: Record<string, { example?: unknown }>;
        securitySchemes: Record<string, unknown>;
      };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (['/health', '/ready', '/metrics'].includes(path)) {
          expect(op.security, `${method} ${path}`).toEqual([]);
          continue;
        }
        expect(op['x-required-role'], `${method} ${path}`).toMatch(/^(viewer|operator|admin)$/);
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['401', '403', '429']),
        );
      }
    }
    for (const name of [
      'CreateCluster',
      'CreateJob',
      'PinJob',
      'WhatIf',
      'ScheduleDetail',
      'ScheduleDiff',
      'SavingsReport',
      'Problem',
    ]) {
      expect(doc.components.schemas[name]?.example, name).toBeDefined();
    }
  });
});

describe('rate limiting', () => {
  it('answers 429 problem+json with Retry-After past the per-key limit', async () => {
    const { databaseUrl, kafkaBrokers } = services();
    const port = PORT + 1;
    const schema = (await db.query<{ s: string }[]>(`select current_schema() as s`))[0]!.s;
    const limited = startNode('dist/apps/admin-api/src/main.js', {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `t-${uniqueSuffix()}.`,
      PORT: String(port),
      RATE_LIMIT_PER_MINUTE: '5',
      AUTH_FAILURES_PER_MINUTE: '3',
      LOG_LEVEL: 'warn',
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000);
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 7; i += 1) {
        last = await fetch(`http://127.0.0.1:${port}/jobs`, {
          headers: { authorization: `Bearer ${keys.viewer}` },
        });
        statuses.push(last.status);
        await last.text();
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(last!.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another key has its own budget; health probes are never limited.
      expect(
        (
          await fetch(`http://127.0.0.1:${port}/jobs`, {
            headers: { authorization: `Bearer ${keys.operator}` },
          })
        ).status,
      ).toBe(200);
      for (let i = 0; i < 8; i += 1)
        expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      expect(CLEAN_STOP).toContain(await limited.stop('SIGTERM'));
    }
  });
});
