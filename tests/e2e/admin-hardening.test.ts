/**
 * Admin API hardening (issue 12, item 6 and the API input rules of item 3), over HTTP against real
 * PostgreSQL with the app started from dist/: control characters refused with 400 naming the field,
 * operator numbers inside plausible bounds, security headers, the unknown-key limit per client address
 * (with and without TRUST_PROXY), and configuration errors that never print a secret.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshSchema, services, uniqueSuffix } from '../support/harness.js';
import { type RunningProcess, startNode, waitForHttp } from '../support/processes.js';

const PORT = 23150;
const BASE = `http://127.0.0.1:${PORT}`;
const BOOTSTRAP = `bootstrap-${randomBytes(24).toString('hex')}`;
const CLEAN_STOP: (number | string)[] = [0, 'SIGTERM'];

let schema: string;
let drop: () => Promise<void>;
let app: RunningProcess;

interface Answer {
  status: number;
  headers: Headers;
  json: { errors?: { field: string; in: string; message: string }[]; detail?: string } & Record<
    string,
    unknown
  >;
}

async function call(
  method: string,
  path: string,
  options: {
    key?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    base?: string;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${options.base ?? BASE}${path}`, { method, headers, body });
  const text = await res.text();
  let json: Answer['json'] = {};
  try {
    json = text ? (JSON.parse(text) as Answer['json']) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, headers: res.headers, json };
}

function appEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  const { databaseUrl, kafkaBrokers } = services();
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `t-${uniqueSuffix()}.`,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

async function startApp(port: number, extra: Record<string, string> = {}): Promise<RunningProcess> {
  const started = startNode('dist/apps/admin-api/src/main.js', appEnv(port, extra));
  await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${started.output()}`);
  });
  return started;
}

beforeAll(async () => {
  const fresh = await freshSchema(import.meta.filename);
  schema = fresh.schema;
  drop = fresh.drop;
  app = await startApp(PORT, {
    ADMIN_BOOTSTRAP_KEY: BOOTSTRAP,
    RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_FAILURES_PER_MINUTE: '100000',
  });
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
});

afterAll(async () => {
  try {
    if (app) expect(CLEAN_STOP).toContain(await app.stop('SIGTERM'));
  } finally {
    await drop?.();
  }
});

/** The one error of a 400 problem, checked to name `field` in `where`. */
function expectFieldError(res: Answer, field: string, where: string, fragment: string | RegExp): void {
  expect(res.status, JSON.stringify(res.json)).toBe(400);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.json.errors).toEqual([expect.objectContaining({ field, in: where })]);
  expect(res.json.errors?.[0]?.message).toMatch(fragment);
}

describe('control characters → 400 naming the field (not 500 from PostgreSQL 22021)', () => {
  it.each([
    // The four cases of issue 12.
    { name: 'query string', method: 'GET', path: '/audit-log?actor=a%00b', field: 'actor', in: 'query' },
    {
      name: 'PUT /zones/{id} body',
      method: 'PUT',
      path: '/zones/Z9',
      body: { name: 'zone\u0000nine', currency: 'EUR' },
      field: 'name',
      in: 'body',
    },
    {
      name: 'POST /plans reason',
      method: 'POST',
      path: '/plans',
      body: { reason: 'x\u0000' },
      field: 'reason',
      in: 'body',
    },
    {
      name: 'POST /api-keys name',
      method: 'POST',
      path: '/api-keys',
      body: { name: 'ops\u0000', role: 'viewer' },
      field: 'name',
      in: 'body',
    },
    // One per kind of input besides those: path parameter, object key, array item, DEL, newline outside reason.
    { name: 'path parameter', method: 'GET', path: '/jobs/a%00b', field: 'id', in: 'path' },
    {
      name: 'object key',
      method: 'PATCH',
      path: '/clusters/c-main',
      body: { latencyMsByOrigin: { 'eu\u0001users': 5 } },
      field: 'latencyMsByOrigin.eu\\u0001users',
      in: 'body',
    },
    {
      name: 'DEL',
      method: 'PATCH',
      path: '/clusters/c-main',
      body: { name: 'ok', region: 'eu\u007f' },
      field: 'region',
      in: 'body',
    },
    {
      name: 'array item',
      method: 'PATCH',
      path: '/jobs/any-job',
      body: { residency: ['FR', 'D\u0002E'] },
      field: 'residency[1]',
      in: 'body',
    },
    {
      name: 'newline outside free text',
      method: 'PUT',
      path: '/zones/Z9',
      body: { name: 'two\nlines', currency: 'EUR' },
      field: 'name',
      in: 'body',
    },
  ])('$name', async ({ method, path, body, field, in: where }) => {
    const res = await call(method, path, { key: BOOTSTRAP, ...(body ? { body } : {}) });
    expectFieldError(res, field, where, /control character U\+00[0-7][0-9A-F]/);
  });

  it('lets a reason carry line breaks and tabs (free text)', async () => {
    const res = await call('POST', '/plans', {
      key: BOOTSTRAP,
      body: { reason: 'first line\n\tsecond line' },
    });
    expect(res.status).toBe(202);
    expect(res.json.reason).toBe('first line\n\tsecond line');
  });
});

describe('plausible bounds on operator numbers → 400 naming the field and the bound', () => {
  it.each([
    {
      name: 'exchange rate 1e-300',
      method: 'PUT',
      path: '/exchange-rates/EUR',
      body: { perBase: 1e-300 },
      field: 'perBase',
      bound: /at least 0\.0001 \(plausible range 0\.0001 to 1,000,000\)/,
    },
    {
      name: 'exchange rate 1e9',
      method: 'PUT',
      path: '/exchange-rates/EUR',
      body: { perBase: 1e9 },
      field: 'perBase',
      bound: /at most 1,000,000/,
    },
    {
      name: 'kW per GPU',
      method: 'PATCH',
      path: '/clusters/c-main',
      body: { kwPerGpu: 1e-9 },
      field: 'kwPerGpu',
      bound: /at least 0\.05 \(plausible range 0\.05 to 10 kW\)/,
    },
    {
      name: 'PUE',
      method: 'PATCH',
      path: '/clusters/c-main',
      body: { pue: 4 },
      field: 'pue',
      bound: /at most 3 /,
    },
    {
      name: 'power cap',
      method: 'PATCH',
      path: '/clusters/c-main',
      body: { powerCapKw: 1e12 },
      field: 'powerCapKw',
      bound: /at most 10,000,000 /,
    },
    {
      name: 'what-if price multiplier',
      method: 'POST',
      path: '/what-ifs',
      body: { scenario: { priceMultiplierByZone: { Z0: 1e6 } } },
      field: 'scenario.priceMultiplierByZone.Z0',
      bound: /at most 100 \(plausible range 0 to 100\)/,
    },
    {
      name: 'what-if price override',
      method: 'POST',
      path: '/what-ifs',
      body: { scenario: { priceOverrides: [{ zone: 'Z0', pricePerMwh: 1e9 }] } },
      field: 'scenario.priceOverrides[0].pricePerMwh',
      bound: /at most 100,000 \(plausible range -10,000 to 100,000\)/,
    },
  ])('$name', async ({ method, path, body, field, bound }) => {
    expectFieldError(await call(method, path, { key: BOOTSTRAP, body }), field, 'body', bound);
  });

  it('accepts a plausible rate (201: the refused ones stored nothing)', async () => {
    expect(
      (await call('PUT', '/exchange-rates/EUR', { key: BOOTSTRAP, body: { perBase: 0.925 } })).status,
    ).toBe(201);
  });

  it('states the bounds in the OpenAPI document', async () => {
    const doc = (await call('GET', '/docs-json')).json as {
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    const perBase = doc.components.schemas.PutExchangeRate?.properties.perBase;
    expect(perBase).toMatchObject({ minimum: 0.0001, maximum: 1_000_000 });
    expect(perBase?.description).toMatch(/0\.0001/);
  });
});

describe('security headers', () => {
  it('JSON routes (and their errors) forbid everything: default-src none, nosniff, frame-ancestors none', async () => {
    for (const res of [
      await call('GET', '/zones', { key: BOOTSTRAP }),
      await call('GET', '/zones'), // 401 problem
      await call('GET', '/health'),
    ]) {
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('/docs gets its own policy: scripts only from itself (Swagger UI has no inline script)', async () => {
    const res = await fetch(`${BASE}/docs`);
    const html = await res.text();
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc.trim()).toBe("'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // Every <script> of the page has a src on /docs (so the policy above lets Swagger UI run).
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="?\.?\/?(docs\/)?[\w.-]+\.js/);
      expect(body?.trim()).toBe('');
    }
    const init = await fetch(`${BASE}/docs/swagger-ui-init.js`);
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toContain('javascript');
  });
});

describe('what-ifs one at a time per process', () => {
  it('answers 429 with Retry-After to what-ifs sent while one is being solved', async () => {
    // Sent together: the first holds the slot while it loads inputs and spawns its solver worker (tens of
    // ms at least), so the others arrive while it runs.
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        call('POST', '/what-ifs', { key: BOOTSTRAP, body: { scenario: { demandMultiplier: 2 } } }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toContain(201);
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
    for (const busy of answers.filter((a) => a.status === 429)) {
      expect(busy.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(busy.json.detail).toMatch(/another what-if/);
    }
    // Once it is done the slot is free again.
    expect((await call('POST', '/what-ifs', { key: BOOTSTRAP, body: { scenario: {} } })).status).toBe(201);
  });
});

describe('unknown-key limit per client address', () => {
  const badKey = () => `gsk_00000000_${randomBytes(32).toString('base64url')}`;
  const statusesOf = async (base: string, n: number, headers: Record<string, string> = {}) => {
    const out: number[] = [];
    for (let i = 0; i < n; i += 1)
      out.push((await call('GET', '/zones', { key: badKey(), headers, base })).status);
    return out;
  };

  it('answers 429 with Retry-After after AUTH_FAILURES_PER_MINUTE unknown keys; X-Forwarded-For ignored', async () => {
    const port = PORT + 1;
    const limited = await startApp(port, { AUTH_FAILURES_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '100000' });
    const base = `http://127.0.0.1:${port}`;
    try {
      // A key verified before the flood keeps working from the blocked address (only guessing is blocked).
      expect((await call('GET', '/zones', { key: BOOTSTRAP, base })).status).toBe(200);
      expect(await statusesOf(base, 5)).toEqual([401, 401, 401, 429, 429]);
      const last = await call('GET', '/zones', { key: badKey(), base });
      expect(last.status).toBe(429);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
      // Without TRUST_PROXY a client cannot pick another address by sending X-Forwarded-For.
      expect(await statusesOf(base, 2, { 'x-forwarded-for': '203.0.113.77' })).toEqual([429, 429]);
      expect((await call('GET', '/zones', { key: BOOTSTRAP, base })).status).toBe(200);
    } finally {
      expect(CLEAN_STOP).toContain(await limited.stop('SIGTERM'));
    }
  });

  it('with TRUST_PROXY=loopback the forwarded address decides', async () => {
    const port = PORT + 2;
    const proxied = await startApp(port, {
      AUTH_FAILURES_PER_MINUTE: '3',
      RATE_LIMIT_PER_MINUTE: '100000',
      TRUST_PROXY: 'loopback',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      expect(await statusesOf(base, 4, { 'x-forwarded-for': '203.0.113.1' })).toEqual([401, 401, 401, 429]);
      // Another client behind the same proxy has its own budget.
      expect(await statusesOf(base, 1, { 'x-forwarded-for': '203.0.113.2' })).toEqual([401]);
      // The proxy's own address (no header) too.
      expect(await statusesOf(base, 1)).toEqual([401]);
    } finally {
      expect(CLEAN_STOP).toContain(await proxied.stop('SIGTERM'));
    }
  });
});

describe('configuration errors name the variable but never print a secret', () => {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const bootstrapKey = `short ${randomBytes(6).toString('hex')}`;
  it.each([
    {
      name: 'DATABASE_URL with a password (no database name)',
      env: { DATABASE_URL: `postgres://gridshift:${password}@127.0.0.1:5432` },
      variable: 'DATABASE_URL',
      secretText: password,
      shown: 'postgres://gridshift:***@127.0.0.1:5432',
    },
    {
      name: 'DATABASE_URL that does not parse',
      env: { DATABASE_URL: `postgres://gridshift:${password}@127.0.0.1:notaport/db` },
      variable: 'DATABASE_URL',
      secretText: password,
      shown: 'value not shown',
    },
    {
      name: 'ADMIN_BOOTSTRAP_KEY too short',
      env: { ADMIN_BOOTSTRAP_KEY: bootstrapKey },
      variable: 'ADMIN_BOOTSTRAP_KEY',
      secretText: bootstrapKey.split(' ')[1]!,
      shown: 'value not shown',
    },
    {
      name: 'TRUST_PROXY',
      env: { TRUST_PROXY: 'everyone' },
      variable: 'TRUST_PROXY',
      secretText: undefined,
      shown: '"everyone"',
    },
  ])('$name', async ({ env, variable, secretText, shown }) => {
    const run = startNode('dist/apps/admin-api/src/main.js', { ...appEnv(PORT + 3), ...env });
    expect(await run.exited).toBe(2);
    const output = run.output();
    expect(output).toContain(`invalid configuration: ${variable}`);
    expect(output).toContain('expected');
    expect(output).toContain(shown);
    if (secretText) expect(output).not.toContain(secretText);
  });
});
