import { z } from 'zod';

/** `1e-4` → `0.0001`, `1e6` → `1,000,000`: bounds as an operator reads them. */
function readable(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/**
 * A number an operator enters, inside a stated plausible range: anything outside is a typo or an attack
 * (a rate of 1e-300 sends every price of that currency to the dead-letter queue), so it is refused with
 * 400 naming the field and the bound. The range is part of the OpenAPI description (and its min/max).
 */
export function plausible(
  min: number,
  max: number,
  unit: string,
  description: string,
  kind: 'number' | 'integer' = 'number',
): z.ZodNumber {
  const range = `${readable(min)} to ${readable(max)}${unit ? ` ${unit}` : ''}`;
  // Checks first, description last: a check added after `.describe()` would drop the description.
  return (kind === 'integer' ? z.number().int({ message: 'expected an integer' }) : z.number())
    .min(min, { message: `must be at least ${readable(min)} (plausible range ${range})` })
    .max(max, { message: `must be at most ${readable(max)} (plausible range ${range})` })
    .describe(`${description} Plausible range: ${range}.`);
}
