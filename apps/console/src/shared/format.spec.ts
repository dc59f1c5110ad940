import { describe, expect, it } from 'vitest';
import { age, hourOf, money, num, pct, utc } from './format';

describe('console formatting', () => {
  it.each([
    [1234.567, 'EUR', 'EUR 1,235'],
    [-0.001, 'EUR', 'EUR 0'], // no "-0"
    [12.345, 'USD', 'USD 12.35'],
    [null, 'EUR', '—'],
    [Number.NaN, 'EUR', '—'],
  ])('money(%s, %s) = %s', (amount, currency, want) => expect(money(amount, currency)).toBe(want));

  it('numbers, percentages, times', () => {
    expect(num(39632.4, 0)).toBe('39,632');
    expect(num(undefined)).toBe('—');
    expect(pct(19.44)).toBe('19.4 %');
    expect(utc('2023-03-15T14:00:00.000Z')).toBe('2023-03-15 14:00 UTC');
    expect(hourOf('2023-03-15T07:00:00.000Z')).toBe('07:00');
    expect([age(30), age(180), age(60 * 50)]).toEqual(['30 min', '3 h', '2 d 2 h']);
  });
});
