import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#gridshift/config';
import { adminApiConfigShape } from './config.js';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gridshift' };

describe('TRUST_PROXY', () => {
  it.each([
    { raw: undefined, want: false },
    { raw: 'false', want: false },
    { raw: '0', want: false },
    { raw: 'true', want: true },
    { raw: '2', want: 2 },
    { raw: 'loopback', want: ['loopback'] },
    { raw: '10.0.0.0/8, 192.168.1.7,::1,fd00::/8', want: ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8'] },
  ])('$raw → $want', ({ raw, want }) => {
    expect(loadConfig(adminApiConfigShape, { ...base, TRUST_PROXY: raw }).TRUST_PROXY).toEqual(want);
  });

  it.each(['yes', '11', '10.0.0.0/33', '300.1.1.1', 'proxy.internal', '10.0.0.1/8/9'])(
    'refuses %s',
    (raw) => {
      expect(() => loadConfig(adminApiConfigShape, { ...base, TRUST_PROXY: raw })).toThrow(ConfigError);
      expect(() => loadConfig(adminApiConfigShape, { ...base, TRUST_PROXY: raw })).toThrow(
        /TRUST_PROXY=.*expected false/,
      );
    },
  );
});

describe('ADMIN_BOOTSTRAP_KEY', () => {
  it('is never printed when invalid', () => {
    const key = 'too-short-but-secret';
    expect(() => loadConfig(adminApiConfigShape, { ...base, ADMIN_BOOTSTRAP_KEY: key })).toThrow(
      /ADMIN_BOOTSTRAP_KEY is invalid \(value not shown: it holds a secret\); expected unset, or an API key/,
    );
    try {
      loadConfig(adminApiConfigShape, { ...base, ADMIN_BOOTSTRAP_KEY: key });
    } catch (error) {
      expect(String(error)).not.toContain(key);
      expect(JSON.stringify({ ...(error as ConfigError) })).not.toContain(key);
    }
  });
});
