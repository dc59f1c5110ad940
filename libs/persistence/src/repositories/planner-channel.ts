import type { LeaseSession } from './planner-lease.repository.js';

/**
 * The LISTEN/NOTIFY channel of a deployment schema: triggers of migration 1732380000007 notify it when
 * prices, load, jobs or plan requests change, and approvals notify it for the outbox relay.
 */
export function plannerChannel(schema: string): string {
  return `gridshift_${schema}`;
}

/** Subscribes a dedicated `pg` session to the deployment's planner channel. */
export async function listenToPlannerChannel(session: LeaseSession, schema: string): Promise<void> {
  await session.query(`listen "${plannerChannel(schema).replace(/"/g, '""')}"`);
}
