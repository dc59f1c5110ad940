import { z } from 'zod';

/** Query-string building blocks: every query value arrives as text. */
export const q = {
  /** `true`/`false` (also 1/0). */
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  /** An integer within [min, max]. */
  int: (min: number, max: number, fallback: number) =>
    z.coerce
      .number({ message: 'expected an integer' })
      .int({ message: 'expected an integer' })
      .min(min)
      .max(max)
      .default(fallback),
  /** An RFC 3339 timestamp with offset or `Z`, read as a Date. */
  time: () =>
    z.iso
      .datetime({
        offset: true,
        message: 'expected an RFC 3339 timestamp with offset, e.g. 2024-03-01T00:00:00Z',
      })
      .transform((v) => new Date(v)),
  /** A comma-separated list of enum values (`status=draft,approved`). */
  csvEnum: <const T extends readonly [string, ...string[]]>(values: T) =>
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      )
      .pipe(
        z
          .array(z.enum(values, { message: `expected a comma-separated list of ${values.join(', ')}` }))
          .min(1),
      ),
};

/** Identifier of clusters, zones, jobs: letters, digits and `._:-`, 1–64 characters. */
export const Slug = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
    'expected 1–64 letters, digits or ._:- (starting with a letter or digit)',
  );

/** A UUID path or query value. */
export const Uuid = z.uuid({ message: 'expected a UUID' });

/** The documented example of a schema (from `.meta({ example })`), if any. */
function exampleOf(schema: z.ZodType): unknown {
  return (schema.meta() as { example?: unknown } | undefined)?.example;
}

/** A cursor page: `items` plus the cursor for the next page (null on the last one); example from the item's. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .describe('Pass as `cursor` to get the next page; null on the last page.'),
    })
    .meta({ example: { items: [exampleOf(item)], nextCursor: null } });

/** A whole list `{ items }`; example from the item's. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item) }).meta({ example: { items: [exampleOf(item)] } });
