import type { DataSource, EntityManager } from 'typeorm';

/** A connection or the manager of an open transaction: every repository method takes either. */
export type Queryable = DataSource | EntityManager;

/**
 * Runs SQL and returns its rows: the one query helper of gridshift. TypeORM's postgres driver answers
 * UPDATE and DELETE (also with RETURNING) with `[rows, rowCount]` but SELECT and INSERT with the rows; this
 * evens that out.
 */
export async function queryRows<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  const raw: unknown = await db.query(sql, params);
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number') {
    return raw[0] as T[];
  }
  return raw as T[];
}

/** ISO-8601 UTC text of a timestamp column (null stays null). */
export function isoOrNull(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}
