import type { JobSpec } from '#gridshift/fleet';

// How the demo registers a job file's batch jobs for one planning day through the admin API.

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Longest id the admin API accepts (its `Slug`). */
const MAX_ID_LENGTH = 64;

/** One batch job as the admin API takes it: absolute window, tokens of this instance. */
export interface BatchRelease {
  id: string;
  /** Shown in the admin API and console: the spec's name and when the instance was released. */
  name: string;
  windowStartUtc: string;
  deadlineUtc: string;
  totalTokens: number;
}

const hh = (hour: number) => String(hour).padStart(2, '0');

/**
 * The instances of a batch job spec that fall into the UTC day starting at `dayMs`.
 * Without `releaseEveryHours`: one job with the spec's id and the window [windowStartHour, deadlineHour) of
 * that day (the demo's behaviour so far). With it: every release whose window overlaps the day — today's as
 * `<id>-h07` (released 07:00 UTC) with its full window and tokens (the planner plans the part up to the horizon
 * pro rata), and earlier days' as `<id>-prev-h07` (`-prev2-…` two days back) with the window clipped to start
 * at `dayMs` and the share of its tokens not yet due, assuming even progress since its release (what the
 * planner's pro-rata rule would have planned before). Throws when a generated id is longer than the API allows.
 */
export function batchReleases(job: JobSpec, dayMs: number): BatchRelease[] {
  if (job.kind !== 'batch' || job.totalTokens === undefined) return [];
  const name = job.name ?? job.id;
  const startHour = job.windowStartHour ?? 0;
  const spanHours = (job.deadlineHour ?? 24) - startHour;
  if (job.releaseEveryHours === undefined)
    return [
      {
        id: job.id,
        name,
        windowStartUtc: new Date(dayMs + startHour * HOUR_MS).toISOString(),
        deadlineUtc: new Date(dayMs + (startHour + spanHours) * HOUR_MS).toISOString(),
        totalTokens: job.totalTokens,
      },
    ];
  const every = job.releaseEveryHours;
  const releases: BatchRelease[] = [];
  // Releases of day d open at d + startHour + k·every (k < 24/every) and close spanHours later; a window of up
  // to 168 h can reach into today from days back.
  const daysBack = Math.ceil((startHour + spanHours) / 24);
  for (let d = -daysBack; d <= 0; d++) {
    for (let k = 0; k < 24 / every; k++) {
      const releaseMs = dayMs + d * DAY_MS + (startHour + k * every) * HOUR_MS;
      const deadlineMs = releaseMs + spanHours * HOUR_MS;
      if (deadlineMs <= dayMs || releaseMs >= dayMs + DAY_MS) continue;
      const hour = new Date(releaseMs).getUTCHours();
      const carried = releaseMs < dayMs;
      const daysAgo = Math.ceil((dayMs - releaseMs) / DAY_MS);
      const suffix = carried ? `-prev${daysAgo > 1 ? daysAgo : ''}-h${hh(hour)}` : `-h${hh(hour)}`;
      const id = `${job.id}${suffix}`;
      if (id.length > MAX_ID_LENGTH)
        throw new RangeError(`job id ${id} is longer than ${MAX_ID_LENGTH} characters; shorten ${job.id}`);
      const releasedAt = new Date(releaseMs).toISOString().slice(0, 16).replace('T', ' ');
      releases.push({
        id,
        name: `${name} (released ${releasedAt} UTC)`,
        windowStartUtc: new Date(Math.max(releaseMs, dayMs)).toISOString(),
        deadlineUtc: new Date(deadlineMs).toISOString(),
        totalTokens: carried
          ? (job.totalTokens * (deadlineMs - dayMs)) / (deadlineMs - releaseMs)
          : job.totalTokens,
      });
    }
  }
  return releases.sort(
    (a, b) => a.windowStartUtc.localeCompare(b.windowStartUtc) || a.deadlineUtc.localeCompare(b.deadlineUtc),
  );
}
