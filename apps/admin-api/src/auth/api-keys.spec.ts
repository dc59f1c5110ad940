import { describe, expect, it } from 'vitest';
import { bearerToken, externalKeyPrefix, generateKey, hashKey } from './api-keys.js';

describe('api keys', () => {
  it('generates distinct high-entropy keys whose hash is what is stored', () => {
    const a = generateKey();
    const b = generateKey();
    expect(a.key).not.toBe(b.key);
    expect(a.key).toMatch(/^gsk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(a.key.startsWith(a.keyPrefix)).toBe(true);
    expect(a.keyHash).toBe(hashKey(a.key));
    expect(a.keyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    { header: undefined, want: undefined },
    { header: '', want: undefined },
    { header: 'Bearer abc', want: 'abc' },
    { header: 'bearer   abc  ', want: 'abc' },
    { header: 'Basic abc', want: undefined },
    { header: 'Bearer a b', want: undefined },
    { header: 'Bearer', want: undefined },
  ])('reads the bearer token of $header', ({ header, want }) => {
    expect(bearerToken(header)).toBe(want);
  });

  it('never shows an external key in its prefix', () => {
    const key = 'x'.repeat(40);
    expect(externalKeyPrefix(key)).toMatch(/^ext_[0-9a-f]{8}$/);
    expect(externalKeyPrefix(key)).not.toContain('xxxx');
  });
});
