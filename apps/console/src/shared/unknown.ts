/**
 * Readers for the parts of the API's answers its OpenAPI document leaves open (`unknown`: assumptions,
 * shortfalls, solver figures, explanations, audit before/after) — read defensively, shown as text.
 */
export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

export function text(value: unknown, name: string): string | undefined {
  const v = field(value, name);
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** The scalar entries of an object, flattened one level (`stats.iterations`), for a key/value table. */
export function scalars(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [];
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out.push([key, String(v)]);
    else if (Array.isArray(v))
      out.push([key, v.every((x) => typeof x !== 'object') ? v.join(', ') : `${v.length} items`]);
    else if (!prefix) out.push(...scalars(v, key));
  }
  return out;
}
