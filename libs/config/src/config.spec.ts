import { describe, expect, it } from 'vitest';
import { ConfigError, commonShape, env, loadConfig, redactUrl, secret } from './config.js';

const valid = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gridshift' };

describe('loadConfig', () => {
  it('applies defaults and types values', () => {
    const config = loadConfig(commonShape, { ...valid, KAFKA_TOPIC_PARTITIONS: '6' });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.KAFKA_TOPIC_PARTITIONS).toBe(6);
    expect(config.DATABASE_SCHEMA).toBe('public');
  });

  it.each([
    [{}, 'DATABASE_URL', 'invalid configuration: DATABASE_URL is missing; expected a PostgreSQL URL'],
    [{ ...valid, KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS', 'KAFKA_BROKERS="localhost" is invalid'],
    [{ ...valid, KAFKA_TOPIC_PARTITIONS: '0' }, 'KAFKA_TOPIC_PARTITIONS', 'an integer between 1 and 1000'],
    [{ ...valid, DATABASE_SCHEMA: 'Robert; drop' }, 'DATABASE_SCHEMA', 'a lower-case SQL identifier'],
    [{ ...valid, LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'one of fatal, error'],
  ])('names the bad variable %#', (source, variable, fragment) => {
    let error: unknown;
    try {
      loadConfig(commonShape, source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(fragment);
    expect((error as ConfigError).message).not.toContain('\n');
  });

  it('parses booleans and cron', () => {
    const shape = { A: env.bool(false), B: env.cron('0 * * * *') };
    expect(loadConfig(shape, { A: '1' })).toEqual({ A: true, B: '0 * * * *' });
    expect(() => loadConfig(shape, { B: 'every hour' })).toThrow(/B="every hour"/);
  });
});

describe('secrets in configuration errors', () => {
  const password = 'hunter2-s3cret';
  it.each([
    // No database name: invalid, but it parses as a URL, so it is shown without its password.
    {
      raw: `postgres://gridshift:${password}@db.internal:5432`,
      shown: '"postgres://gridshift:***@db.internal:5432"',
    },
    // A query string can carry the password too: dropped.
    {
      raw: `postgresql://gridshift@db.internal?password=${password}`,
      shown: '"postgresql://gridshift@db.internal?…"',
    },
    // Does not parse: nothing of it is shown.
    { raw: `postgres://gridshift:${password}@db.internal:port/x`, shown: 'value not shown' },
  ])('DATABASE_URL $shown', ({ raw, shown }) => {
    let error: unknown;
    try {
      loadConfig(commonShape, { DATABASE_URL: raw });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('expected a PostgreSQL URL');
    expect(message).toContain(shown);
    expect(message).not.toContain(password);
    // Errors get logged with their properties: none may hold the secret either.
    expect(JSON.stringify({ ...(error as ConfigError) })).not.toContain(password);
  });

  it('never shows a value marked secret', () => {
    const shape = {
      KEY: secret({
        expected: 'at least 32 characters',
        parse: () => {
          throw new Error('short');
        },
      }),
    };
    expect(() => loadConfig(shape, { KEY: 'my secret' })).toThrow(
      'invalid configuration: KEY is invalid (value not shown: it holds a secret); expected at least 32 characters',
    );
    expect(() => loadConfig(shape, {})).toThrow('KEY is missing');
  });

  it.each([
    { raw: 'postgres://u:p@h:5432/db?sslmode=require', want: 'postgres://u:***@h:5432/db?…' },
    { raw: 'postgres://u@h/db', want: 'postgres://u@h/db' },
    { raw: 'not a url', want: undefined },
  ])('redactUrl($raw)', ({ raw, want }) => expect(redactUrl(raw)).toBe(want));
});
