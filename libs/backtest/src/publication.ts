// When each market's day-ahead prices become known (pure). A backtest under `published` information lets a
// plan see a price only from its publication time, like the planner in production.

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

/** A day-ahead market's publication: results for the next local delivery day at `hour:minute` local time. */
export interface PublicationRule {
  /** Local publication time. */
  hour: number;
  minute: number;
  /** IANA time zone of the publication time and of the delivery day. */
  timeZone: string;
  /** Where the default comes from, for the report. */
  source: string;
}

const EU_COUPLING: PublicationRule = {
  hour: 12,
  minute: 45,
  timeZone: 'Europe/Brussels',
  source: 'SDAC (EU day-ahead market coupling): results about 12:45 CET for the next day',
};

/**
 * Default publication per zone (exchanges' rules, rounded to the usual publication time). Zones not listed use
 * `FALLBACK_PUBLICATION` (and the report says so).
 */
export const DEFAULT_PUBLICATION_RULES: Readonly<Record<string, PublicationRule>> = {
  'DE-LU': EU_COUPLING,
  FR: EU_COUPLING,
  NL: EU_COUPLING,
  BE: EU_COUPLING,
  AT: EU_COUPLING,
  ES: EU_COUPLING,
  PT: EU_COUPLING,
  CH: { ...EU_COUPLING, source: 'EPEX SPOT Swiss day-ahead auction: results about 12:45 CET' },
  GB: {
    hour: 10,
    minute: 0,
    timeZone: 'Europe/London',
    source: 'GB day-ahead auctions (EPEX SPOT / N2EX): results about 10:00 UK time for the next day',
  },
  'US-CAL-CISO': {
    hour: 13,
    minute: 0,
    timeZone: 'America/Los_Angeles',
    source: 'CAISO day-ahead market: results about 13:00 Pacific for the next day',
  },
  'US-TEX-ERCO': {
    hour: 13,
    minute: 0,
    timeZone: 'America/Chicago',
    source: 'ERCOT day-ahead market: results about 13:00 Central for the next day',
  },
  'US-NY-NYIS': {
    hour: 13,
    minute: 0,
    timeZone: 'America/New_York',
    source: 'NYISO day-ahead market: results about 13:00 Eastern for the next day',
  },
  'US-MIDA-PJM': {
    hour: 13,
    minute: 30,
    timeZone: 'America/New_York',
    source: 'PJM day-ahead market: results about 13:30 Eastern for the next day',
  },
  'CA-ON': {
    hour: 13,
    minute: 0,
    timeZone: 'America/Toronto',
    source: 'IESO day-ahead market: results about 13:00 Eastern for the next day',
  },
  'JP-TK': {
    hour: 10,
    minute: 0,
    timeZone: 'Asia/Tokyo',
    source: 'JEPX day-ahead market: results about 10:00 JST for the next day',
  },
};

/** Publication assumed for a zone without a known rule: 12:00 UTC for the next UTC day. */
export const FALLBACK_PUBLICATION: PublicationRule = {
  hour: 12,
  minute: 0,
  timeZone: 'UTC',
  source: 'no known rule: assumed 12:00 UTC for the next UTC day',
};

/** The rule of `zone`: an override, else the default, else the fallback. */
export function publicationRule(
  zone: string,
  overrides: Readonly<Record<string, PublicationRule>> = {},
): PublicationRule {
  return overrides[zone] ?? DEFAULT_PUBLICATION_RULES[zone] ?? FALLBACK_PUBLICATION;
}

/** Parses `HH:MM@Area/City` (e.g. `12:45@Europe/Brussels`); throws RangeError naming the rule. */
export function parsePublicationRule(text: string): PublicationRule {
  const m = /^(\d{1,2}):(\d{2})@(.+)$/.exec(text.trim());
  const hour = Number(m?.[1]);
  const minute = Number(m?.[2]);
  if (!m || hour > 23 || minute > 59)
    throw new RangeError(
      `publication time must be HH:MM@Time/Zone (e.g. 12:45@Europe/Brussels), got ${text}`,
    );
  const timeZone = m[3] ?? '';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new RangeError(`unknown time zone ${timeZone} in ${text}`);
  }
  return { hour, minute, timeZone, source: `configured: ${text.trim()}` };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` from UTC at instant `ms`, ms (e.g. +3,600,000 for CET). */
function offsetMs(timeZone: string, ms: number): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const local = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0);
  return local - Math.floor(ms / MS_PER_MINUTE) * MS_PER_MINUTE;
}

/** The UTC instant of local wall-clock time `localMs` (a Date.UTC of the local fields) in `timeZone`. */
function zonedToUtc(localMs: number, timeZone: string): number {
  let utc = localMs - offsetMs(timeZone, localMs);
  utc = localMs - offsetMs(timeZone, utc);
  return utc;
}

/** Local midnight (as Date.UTC of the local date) of the local day containing `ms`. */
function localDayStart(ms: number, timeZone: string): number {
  const local = ms + offsetMs(timeZone, ms);
  return Math.floor(local / 86_400_000) * 86_400_000;
}

const DAY = 86_400_000;

/** UTC instant of the publication made on the local day starting (local) at `localDay`. */
function publicationOn(rule: PublicationRule, localDay: number): number {
  return zonedToUtc(localDay + rule.hour * MS_PER_HOUR + rule.minute * MS_PER_MINUTE, rule.timeZone);
}

/**
 * End (exclusive, UTC ms) of the prices known at `atMs`: the end of the next local delivery day when today's
 * results are out, else the end of today.
 */
export function knownUntilMs(rule: PublicationRule, atMs: number): number {
  const today = localDayStart(atMs, rule.timeZone);
  const published = publicationOn(rule, today) <= atMs;
  return zonedToUtc(today + (published ? 2 : 1) * DAY, rule.timeZone);
}

/** Publication instants of `rule` in [fromMs, toMs), ascending. */
export function publicationTimes(rule: PublicationRule, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let day = localDayStart(fromMs, rule.timeZone) - DAY; ; day += DAY) {
    const at = publicationOn(rule, day);
    if (at >= toMs) break;
    if (at >= fromMs) out.push(at);
  }
  return out;
}
