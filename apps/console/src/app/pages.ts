import type { Route } from '../shared/route';

/**
 * Each page is its own chunk, so the first load of a page compiles only React, the shell and that page — not
 * ECharts or the other pages. The entry script starts the chunk of the page a link names while React loads.
 * No React here (the entry script imports this module). Not React.lazy: a lazy page suspends on its first
 * render even when its chunk is already there, and React then holds the page back ~300 ms (its Suspense
 * fallback throttle) — a third of the first load's budget; App renders a loaded page directly instead.
 */
const loaders = {
  overview: () => import('../features/overview/Overview').then((m) => m.Overview),
  scheduleList: () => import('../features/schedules/ScheduleList').then((m) => m.ScheduleList),
  scheduleDetail: () => import('../features/schedules/ScheduleDetail').then((m) => m.ScheduleDetail),
  scheduleDiff: () => import('../features/schedules/ScheduleDiff').then((m) => m.ScheduleDiff),
  jobs: () => import('../features/jobs/Jobs').then((m) => m.Jobs),
  whatIf: () => import('../features/what-if/WhatIf').then((m) => m.WhatIf),
  audit: () => import('../features/audit/AuditLog').then((m) => m.AuditLog),
};

export type PageName = keyof typeof loaders;
export type PageComponent<N extends PageName> = Awaited<ReturnType<(typeof loaders)[N]>>;

const loading = new Map<PageName, Promise<unknown>>();
const loaded = new Map<PageName, unknown>();

/** Loads a page's chunk (once; a failed load is tried again next time). */
export function loadPage<N extends PageName>(name: N): Promise<PageComponent<N>> {
  let answer = loading.get(name) as Promise<PageComponent<N>> | undefined;
  if (!answer) {
    answer = loaders[name]().then((component) => {
      loaded.set(name, component);
      return component as PageComponent<N>;
    });
    answer.catch(() => loading.delete(name));
    loading.set(name, answer);
  }
  return answer;
}

/** A page's component when its chunk has loaded, else undefined. */
export function loadedPage<N extends PageName>(name: N): PageComponent<N> | undefined {
  return loaded.get(name) as PageComponent<N> | undefined;
}

/** The page a route shows (undefined: no such page). */
export function pageOf(route: Route): PageName | undefined {
  const [section, id, sub] = route.path;
  switch (section) {
    case undefined:
      return 'overview';
    case 'schedules':
      if (id && sub === 'diff') return 'scheduleDiff';
      if (id) return 'scheduleDetail';
      return 'scheduleList';
    case 'jobs':
      return 'jobs';
    case 'what-if':
      return 'whatIf';
    case 'audit':
      return 'audit';
    default:
      return undefined;
  }
}

/** Starts loading the chunk of the page a route shows. */
export function preloadPage(route: Route): void {
  const page = pageOf(route);
  if (page) loadPage(page).catch(() => undefined); // the page reports a failure when it renders
}
