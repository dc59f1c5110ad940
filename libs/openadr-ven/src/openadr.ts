import { z } from 'zod';

// The subset of OpenADR 3.0 (REST, JSON) a VEN reads from a VTN's `GET /events`: an event belongs to a program,
// has targets (valuesMaps `{type, values}`), payload descriptors (units, currency per payload type), a default
// intervalPeriod and intervals with payloads `{type, values}`. Objects are loose: VTNs add fields, and fields this
// adapter does not use (reportDescriptors, randomizeStart, …) are ignored.

const ValuesMapSchema = z.looseObject({
  type: z.string().min(1).max(128),
  values: z.array(z.unknown()).max(1000),
});

const IntervalPeriodSchema = z.looseObject({
  start: z.string().max(64).nullish(),
  duration: z.string().max(64).nullish(),
});

const PayloadDescriptorSchema = z.looseObject({
  payloadType: z.string().min(1).max(128),
  units: z.string().max(32).nullish(),
  currency: z.string().max(8).nullish(),
});

export const OpenAdrIntervalSchema = z.looseObject({
  id: z.int().min(0),
  intervalPeriod: IntervalPeriodSchema.nullish(),
  payloads: z.array(ValuesMapSchema).min(1).max(64),
});

export const OpenAdrEventSchema = z.looseObject({
  id: z.string().min(1).max(256),
  programID: z.string().min(1).max(256),
  eventName: z.string().max(256).nullish(),
  priority: z.int().min(0).nullish(),
  createdDateTime: z.string().max(64).nullish(),
  modificationDateTime: z.string().max(64).nullish(),
  targets: z.array(ValuesMapSchema).max(64).nullish(),
  payloadDescriptors: z.array(PayloadDescriptorSchema).max(64).nullish(),
  intervalPeriod: IntervalPeriodSchema.nullish(),
  intervals: z.array(OpenAdrIntervalSchema).min(1).max(1000),
  /** Not in OpenADR 3.0: some VTNs mark a cancelled event instead of deleting it. */
  cancelled: z.boolean().nullish(),
});

export type OpenAdrEvent = z.infer<typeof OpenAdrEventSchema>;
export type OpenAdrInterval = z.infer<typeof OpenAdrIntervalSchema>;

const DURATION =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * An ISO 8601 duration as OpenADR uses it (`PT1H`, `PT15M`, `P1D`, `P1W`) in milliseconds; null when it is not
 * one, is empty (`P`, `PT`), or names years or months (no fixed length; OpenADR's "infinite" `P9999Y` included).
 * Hand-written: these few lines are all the adapter needs, where a date library would be a new dependency.
 */
export function isoDurationMs(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return null;
  const [, years, months, weeks, days, hours, minutes, seconds] = m;
  if (years !== undefined || months !== undefined) return null;
  if ([weeks, days, hours, minutes, seconds].every((v) => v === undefined)) return null;
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  return Math.round(
    (((n(weeks) * 7 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60_000 + n(seconds) * 1000,
  );
}
