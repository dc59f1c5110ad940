import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PUBLICATION_RULES,
  FALLBACK_PUBLICATION,
  knownUntilMs,
  parsePublicationRule,
  publicationRule,
  publicationTimes,
} from './publication.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const eu = DEFAULT_PUBLICATION_RULES['DE-LU']!;
const caiso = DEFAULT_PUBLICATION_RULES['US-CAL-CISO']!;

describe('day-ahead publication', () => {
  it.each([
    // EU coupling: 12:45 Brussels = 11:45 UTC in winter (CET), 10:45 UTC in summer (CEST); the next Brussels day
    // ends at 23:00 UTC (winter) / 22:00 UTC (summer).
    { rule: eu, now: '2023-03-04T11:44:00Z', want: '2023-03-04T23:00:00.000Z' }, // before: today only
    { rule: eu, now: '2023-03-04T11:45:00Z', want: '2023-03-05T23:00:00.000Z' }, // published: tomorrow too
    { rule: eu, now: '2023-07-04T10:50:00Z', want: '2023-07-05T22:00:00.000Z' },
    { rule: eu, now: '2023-07-04T10:40:00Z', want: '2023-07-04T22:00:00.000Z' },
    // CAISO: 13:00 Pacific = 21:00 UTC (PST) / 20:00 UTC (PDT); the Pacific day ends at 08:00 / 07:00 UTC.
    { rule: caiso, now: '2023-03-01T20:59:00Z', want: '2023-03-02T08:00:00.000Z' },
    { rule: caiso, now: '2023-03-01T21:00:00Z', want: '2023-03-03T08:00:00.000Z' },
    { rule: caiso, now: '2023-07-01T20:00:00Z', want: '2023-07-03T07:00:00.000Z' },
  ])('$rule.timeZone at $now knows prices until $want', ({ rule, now, want }) => {
    expect(iso(knownUntilMs(rule, at(now)))).toBe(want);
  });

  it('lists one publication per local day, across a daylight-saving change', () => {
    // Summer time starts in the EU on 2023-03-26: 12:45 CET → 11:45 UTC before, 10:45 UTC after.
    const times = publicationTimes(eu, at('2023-03-25T00:00:00Z'), at('2023-03-28T00:00:00Z')).map(iso);
    expect(times).toEqual([
      '2023-03-25T11:45:00.000Z',
      '2023-03-26T10:45:00.000Z',
      '2023-03-27T10:45:00.000Z',
    ]);
  });

  it('uses an override, else the exchange default, else 12:00 UTC', () => {
    const gb = parsePublicationRule('09:50@Europe/London');
    expect(publicationRule('GB', { GB: gb })).toBe(gb);
    expect(publicationRule('FR')).toBe(DEFAULT_PUBLICATION_RULES.FR);
    expect(publicationRule('XX')).toBe(FALLBACK_PUBLICATION);
    expect(iso(knownUntilMs(FALLBACK_PUBLICATION, at('2023-03-01T12:00:00Z')))).toBe(
      '2023-03-03T00:00:00.000Z',
    );
  });

  it.each([
    ['12:45', 'HH:MM@Time/Zone'],
    ['25:00@UTC', 'HH:MM@Time/Zone'],
    ['12:00@Mars/Olympus', 'unknown time zone Mars/Olympus'],
  ])('refuses %s', (text, message) => {
    expect(() => parsePublicationRule(text)).toThrow(message);
  });
});
