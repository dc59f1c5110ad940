import { z } from 'zod';

/**
 * A configuration problem, named by variable: the message is one line an operator can act on. `received` is
 * the value as it may be shown — redacted (a URL without its password) or undefined for a secret — never
 * the raw text of a secret, since errors get logged with their properties.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly received: string | undefined,
    /** The value was set but is a secret, so it is not shown at all. */
    readonly hidden = false,
  ) {
    super(
      hidden
        ? `invalid configuration: ${variable} is invalid (value not shown: it holds a secret); expected ${expected}`
        : received === undefined
          ? `invalid configuration: ${variable} is missing; expected ${expected}`
          : `invalid configuration: ${variable}=${JSON.stringify(received)} is invalid; expected ${expected}`,
    );
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** A variable spec: how to read one environment variable into a typed value. */
export interface VarSpec<T> {
  readonly expected: string;
  readonly parse: (raw: string | undefined) => T;
  /**
   * For variables that hold secrets: how an invalid value may appear in the error — a redacted form, or
   * undefined to show nothing. Absent = the value is not secret and is quoted as is.
   */
  readonly redact?: (raw: string) => string | undefined;
}

/** Marks a variable as secret: an invalid value is never printed (or only as `redact` makes it safe). */
export function secret<T>(
  varSpec: VarSpec<T>,
  redact: (raw: string) => string | undefined = () => undefined,
): VarSpec<T> {
  return { ...varSpec, redact };
}

/**
 * A URL as it can be printed: scheme, user, host, port and path; password, query and fragment dropped.
 * Undefined when it does not parse (the text around a bad password could be the password).
 */
export function redactUrl(raw: string): string | undefined {
  if (!URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  const user = url.username ? `${url.username}${url.password ? ':***' : ''}@` : '';
  return `${url.protocol}//${user}${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

function spec<T>(expected: string, schema: z.ZodType<T>, fallback?: string): VarSpec<T> {
  return {
    expected,
    parse: (raw) => {
      const value = raw === undefined || raw === '' ? fallback : raw;
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw new Error(expected);
      return parsed.data;
    },
  };
}

/** Builders for typed variables; each states in words what it expects, for the error line. */
export const env = {
  string: (fallback?: string) => spec('a non-empty string', z.string().min(1), fallback),
  optionalString: () => spec('a string', z.string().optional()),
  int: (min: number, max: number, fallback?: number) =>
    spec(
      `an integer between ${min} and ${max}`,
      z.coerce.number().int().min(min).max(max),
      fallback === undefined ? undefined : String(fallback),
    ),
  optionalInt: (min: number, max: number) =>
    spec(
      `an integer between ${min} and ${max}, or unset`,
      z.coerce.number().int().min(min).max(max).optional(),
    ),
  number: (min: number, max: number, fallback?: number) =>
    spec(
      `a number between ${min} and ${max}`,
      z.coerce.number().min(min).max(max),
      fallback === undefined ? undefined : String(fallback),
    ),
  bool: (fallback?: boolean) =>
    spec(
      'true or false',
      z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
      fallback === undefined ? undefined : String(fallback),
    ),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback?: T[number]) =>
    spec(`one of ${values.join(', ')}`, z.enum(values), fallback),
  /** A PostgreSQL URL; it may carry a password, so errors show it only redacted (`redactUrl`). */
  postgresUrl: (fallback?: string) =>
    secret(
      spec(
        'a PostgreSQL URL like postgres://user@127.0.0.1:5432/gridshift',
        z
          .string()
          .refine((v) => /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(v), 'postgres url')
          .refine((v) => URL.canParse(v)),
        fallback,
      ),
      redactUrl,
    ),
  brokers: (fallback?: string) =>
    spec(
      'a comma-separated list of host:port Kafka brokers, like 127.0.0.1:9092',
      z
        .string()
        .transform((v) => v.split(',').map((s) => s.trim()))
        .refine((list) => list.length > 0 && list.every((b) => /^[\w.-]+:\d{1,5}$/.test(b))),
      fallback,
    ),
  identifier: (fallback?: string) =>
    spec(
      'a lower-case SQL identifier ([a-z_][a-z0-9_]*)',
      z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
      fallback,
    ),
  cron: (fallback?: string) =>
    spec(
      'a cron expression with 5 or 6 fields, like "0 * * * *"',
      z.string().refine((v) => {
        const n = v.trim().split(/\s+/).length;
        return n === 5 || n === 6;
      }),
      fallback,
    ),
} as const;

export type ConfigShape = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends ConfigShape> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

/** Reads and validates every variable of `shape` from `source`; throws ConfigError naming the first bad one. */
export function loadConfig<S extends ConfigShape>(shape: S, source: Env = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [variable, varSpec] of Object.entries(shape)) {
    const raw = source[variable];
    try {
      out[variable] = varSpec.parse(raw);
    } catch {
      if (raw === undefined || raw === '') throw new ConfigError(variable, varSpec.expected, undefined);
      if (!varSpec.redact) throw new ConfigError(variable, varSpec.expected, raw);
      const shown = varSpec.redact(raw);
      throw new ConfigError(variable, varSpec.expected, shown, shown === undefined);
    }
  }
  return out as ConfigOf<S>;
}

/** Variables every gridshift process reads. */
export const commonShape = {
  NODE_ENV: env.oneOf(['development', 'production', 'test'], 'development'),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  LOG_FORMAT: env.oneOf(['auto', 'json', 'pretty'], 'auto'),
  DATABASE_URL: env.postgresUrl(),
  DATABASE_SCHEMA: env.identifier('public'),
  DATABASE_POOL_MAX: env.int(1, 200, 10),
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: env.string('gridshift'),
  KAFKA_TOPIC_PARTITIONS: env.int(1, 1000, 3),
  /** Unset: one replica per broker the cluster reports, at most 3 (`topicReplication` in #gridshift/messaging). */
  KAFKA_REPLICATION_FACTOR: env.optionalInt(1, 10),
  KAFKA_TOPIC_PREFIX: env.optionalString(),
  /** `/ready` fails once a consumer has been restarting this long (or is stopped). */
  CONSUMER_STUCK_GRACE_MS: env.int(1000, 3_600_000, 60_000),
  HTTP_HOST: env.string('127.0.0.1'),
} as const;

export type CommonConfig = ConfigOf<typeof commonShape>;
