import { describe, expect, it } from 'vitest';
import { ConfigError, commonShape, env, loadConfig } from './config.js';

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
