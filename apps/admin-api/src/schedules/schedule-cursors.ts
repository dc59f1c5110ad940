/**
 * The keyset cursors of the schedule list and of a schedule's placements: opaque base64url JSON to clients,
 * validated on the way back (a cursor this API did not return is a 400).
 */
import { ValidationError } from '../http/errors.js';

const notACursor = () =>
  new ValidationError([{ field: 'cursor', in: 'query', message: 'not a cursor this API returned' }]);

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw notACursor();
  }
}

/** Position in the schedule list: created_at with microseconds and the id of the last row. */
export interface ScheduleListCursor {
  createdAt: string;
  id: string;
}

export function encodeScheduleListCursor(c: ScheduleListCursor): string {
  return encode([c.createdAt, c.id]);
}

/** Throws ValidationError (field `cursor`) for anything `encodeScheduleListCursor` did not make. */
export function decodeScheduleListCursor(cursor: string): ScheduleListCursor {
  const raw = decode(cursor);
  const ok =
    Array.isArray(raw) &&
    typeof raw[0] === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(raw[0]) &&
    typeof raw[1] === 'string' &&
    /^[0-9a-f-]{36}$/i.test(raw[1]);
  if (!ok) throw notACursor();
  return { createdAt: raw[0] as string, id: raw[1] as string };
}

/** Position in a schedule's placements: (cluster, slot, job) of the last row. */
export interface PlacementCursor {
  clusterId: string;
  slotStart: Date;
  jobId: string;
}

export function encodePlacementCursor(c: PlacementCursor): string {
  return encode([c.clusterId, c.slotStart.toISOString(), c.jobId]);
}

/** Throws ValidationError (field `cursor`) for anything `encodePlacementCursor` did not make. */
export function decodePlacementCursor(cursor: string): PlacementCursor {
  const raw = decode(cursor);
  if (
    !Array.isArray(raw) ||
    raw.length !== 3 ||
    !raw.every((v) => typeof v === 'string') ||
    Number.isNaN(Date.parse(raw[1] as string))
  ) {
    throw notACursor();
  }
  return { clusterId: raw[0] as string, slotStart: new Date(raw[1] as string), jobId: raw[2] as string };
}
