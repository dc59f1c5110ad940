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

/** Detail requests started before the page asked (`prefetchScheduleDetail`), taken once by `scheduleDetail`. */
const prefetched = new Map<string, Promise<ScheduleDetailView>>();

async function fetchDetail(api: ApiClient, id: string, signal?: AbortSignal): Promise<ScheduleDetailView> {
  const detail = dataOf(await api.GET('/schedules/{id}', { params: { path: { id } }, signal }));
  mark('detail-received');
  return detail;
}

/**
 * Starts loading a schedule's detail now — while the saved key is being checked — so a shared link's first
 * load does not wait for the sign-in round trip before asking for the schedule.
 */
export function prefetchScheduleDetail(api: ApiClient, id: string): void {
  const answer = fetchDetail(api, id);
  answer.catch(() => undefined); // the page reports it when it takes the answer
  prefetched.set(id, answer);
}

export async function scheduleDetail(api: ApiClient, id: string, signal?: AbortSignal) {
  const early = prefetched.get(id);
  if (early) {
    prefetched.delete(id);
    return early;
  }
  return fetchDetail(api, id, signal);
}

/** The zone prices a schedule was planned on, per slot, with forecast bands where gridshift forecast. */
export async function schedulePrices(api: ApiClient, id: string, signal?: AbortSignal) {
  return dataOf(await api.GET('/schedules/{id}/prices', { params: { path: { id } }, signal }));
}
