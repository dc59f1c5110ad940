import type { ApiClient, Schemas } from '../../api/client';
import { dataOf } from '../../shared/useApi';

export type ScheduleDetailView = Schemas['ScheduleDetail'];
export type ScheduleSummary = Schemas['ScheduleSummary'];
export type Status = ScheduleSummary['status'];
export const STATUSES: Status[] = ['draft', 'approved', 'published', 'superseded', 'rejected', 'what-if'];

/** The schedule in force: the newest published plan (null when none). */
export async function scheduleInForce(api: ApiClient, signal?: AbortSignal): Promise<ScheduleSummary | null> {
  const page = dataOf(
    await api.GET('/schedules', { params: { query: { status: 'published', limit: 1 } }, signal }),
  );
  return page.items[0] ?? null;
}

export async function scheduleDetail(api: ApiClient, id: string, signal?: AbortSignal) {
  return dataOf(await api.GET('/schedules/{id}', { params: { path: { id } }, signal }));
}

/** Zone of every registered cluster (the price curves of a schedule are its clusters' zones). */
export async function clusterZones(api: ApiClient, signal?: AbortSignal): Promise<Map<string, string>> {
  const list = dataOf(await api.GET('/clusters', { signal }));
  return new Map(list.items.map((c) => [c.id, c.zone]));
}

/** Stored prices of one zone over [from, to), every market. */
export async function zonePrices(
  api: ApiClient,
  zone: string,
  from: string,
  to: string,
  signal?: AbortSignal,
) {
  return dataOf(await api.GET('/prices', { params: { query: { zone, from, to } }, signal }));
}
