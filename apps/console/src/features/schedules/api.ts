import type { ApiClient, Schemas } from '../../api/client';
import { mark } from '../../shared/marks';
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

/** A schedule's detail (a shared link's first load finds it already requested: api/early.ts). */
export async function scheduleDetail(
  api: ApiClient,
  id: string,
  signal?: AbortSignal,
): Promise<ScheduleDetailView> {
  const detail = dataOf(await api.GET('/schedules/{id}', { params: { path: { id } }, signal }));
  mark('detail-received');
  return detail;
}

/** The zone prices a schedule was planned on, per slot, with forecast bands where gridshift forecast. */
export async function schedulePrices(api: ApiClient, id: string, signal?: AbortSignal) {
  return dataOf(await api.GET('/schedules/{id}/prices', { params: { path: { id } }, signal }));
}
