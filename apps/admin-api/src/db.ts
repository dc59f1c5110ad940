import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs an UPDATE/DELETE … RETURNING and gives back its rows. TypeORM's postgres driver answers those commands
 * with `[rows, rowCount]` instead of the rows, unlike SELECT and INSERT.
 */
export async function returning<T>(
  manager: DataSource | EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const result = await manager.query<unknown>(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

/** ISO-8601 UTC text of a timestamp (null stays null). */
export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}
