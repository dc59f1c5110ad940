import { money, num, utc } from '../../shared/format';
import { href } from '../../shared/route';
import { useSession } from '../../shared/session';
import { dataOf, useApi } from '../../shared/useApi';
import { ScrollRegion } from '../../shared/ScrollRegion';

/** What moved where between a schedule and the plan in force (or `against`), and what the moves cost. */
export function ScheduleDiff({ id, against }: { id: string; against: string | null }) {
  const { api } = useSession();
  const { loaded } = useApi(
    async (signal) =>
      dataOf(
        await api.GET('/schedules/{id}/diff', {
          params: { path: { id }, query: { limit: 200, ...(against ? { against } : {}) } },
          signal,
        }),
      ),
    [api, id, against],
  );
  if (loaded.state === 'loading') return <p role="status">Comparing…</p>;
  if (loaded.state === 'error') return <p role="alert">{loaded.message}</p>;
  const d = loaded.data;
  const c = d.currency;
  return (
    <article>
      <h1>Diff</h1>
      <p>
        <a href={href('schedules', id)}>This schedule</a> against{' '}
        {d.against ? (
          <a href={href('schedules', d.against.id)}>
            {d.against.version !== null ? `v${d.against.version}` : d.against.id.slice(0, 8)} (
            {d.against.status})
          </a>
        ) : (
          'nothing (no plan in force)'
        )}{' '}
        over {utc(d.window.from)} → {utc(d.window.to)}.
      </p>
      <dl className="figures" data-testid="diff-totals">
        <dt>jobs changed</dt>
        <dd>{num(d.totals.jobsChanged, 0)}</dd>
        <dt>moved</dt>
        <dd>{num(d.totals.movedGpuHours, 1)} GPU-h</dd>
        <dt>added</dt>
        <dd>{num(d.totals.addedGpuHours, 1)} GPU-h</dd>
        <dt>cost before</dt>
        <dd>{money(d.totals.costBefore, c)}</dd>
        <dt>cost after</dt>
        <dd>{money(d.totals.costAfter, c)}</dd>
        <dt>cost delta</dt>
        <dd>{money(d.totals.costDelta, c)}</dd>
      </dl>
      <p className="muted">{d.pricing}</p>
      <ScrollRegion label="moved jobs">
        <table data-testid="diff-jobs">
          <caption>
            Jobs that moved ({d.page.total}; showing {d.jobs.length})
          </caption>
          <thead>
            <tr>
              <th scope="col">job</th>
              <th scope="col">left (GPU-h)</th>
              <th scope="col">went to (GPU-h)</th>
              <th scope="col" className="num">
                moved GPU-h
              </th>
              <th scope="col" className="num">
                cost delta
              </th>
            </tr>
          </thead>
          <tbody>
            {d.jobs.map((j) => (
              <tr key={j.jobId}>
                <td>{j.jobId}</td>
                <td>
                  {j.clusters
                    .filter((x) => x.removedGpuHours > 0)
                    .map((x) => `${x.clusterId} ${num(x.removedGpuHours, 1)}`)
                    .join(', ')}
                </td>
                <td>
                  {j.clusters
                    .filter((x) => x.addedGpuHours > 0)
                    .map((x) => `${x.clusterId} ${num(x.addedGpuHours, 1)}`)
                    .join(', ')}
                </td>
                <td className="num">{num(j.movedGpuHours, 1)}</td>
                <td className="num">{money(j.costDelta, c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </article>
  );
}
