import { describe, expect, it } from 'vitest';
import { backoffMs, isRetriable, NonRetriableMessageError, RetriableError } from './errors.js';

describe('isRetriable', () => {
  it.each([
    [new RetriableError('db down'), true],
    [new NonRetriableMessageError('SCHEMA_VIOLATION', 'bad'), false],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true],
    [Object.assign(new Error('terminating connection'), { code: '57P01' }), true],
    [Object.assign(new Error('duplicate key'), { code: '23505' }), false],
    [{ driverError: { code: '08006' } }, true],
    [new Error('Connection terminated unexpectedly'), true],
    ['boom', false],
  ])('%# classifies', (error, want) => {
    expect(isRetriable(error)).toBe(want);
  });
});

describe('backoffMs', () => {
  it('stays within [ceiling/2, ceiling] and caps', () => {
    // attempt 3 with base 100: ceiling = min(10_000, 100·2³ = 800) → [400, 800]
    expect(backoffMs(3, 100, 10_000, () => 0)).toBe(400);
    expect(backoffMs(3, 100, 10_000, () => 1)).toBe(800);
    // attempt 20: 100·2²⁰ is far above the 10 s cap → [5000, 10000]
    expect(backoffMs(20, 100, 10_000, () => 0.5)).toBe(7500);
  });
});
