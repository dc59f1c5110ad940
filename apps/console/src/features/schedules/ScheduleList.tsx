import { type FormEvent, useState } from 'react';
import { money, utc } from '../../shared/format';
import { href } from '../../shared/route';
import { useSession } from '../../shared/session';
import { dataOf, useApi } from '../../shared/useApi';
import { STATUSES } from './api';
import { savingText } from '../../shared/Totals';
import { ScrollRegion } from '../../shared/ScrollRegion';

/** Schedules, newest first, filtered by status and kind (in the URL, so a filtered list can be shared). */
export function ScheduleList({ query }: { query: URLSearchParams }) {
  const { api } = useSession();
  const status = query.get('status') ?? '';
  const kind = query.get('kind') ?? '';
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const { loaded } = useApi(
    async (signal) =>
      dataOf(
        await api.GET('/schedules', {
          params: {
            query: {
              limit: 25,
              ...(status ? { status } : {}),
              ...(kind === 'plan' || kind === 'what-if' ? { kind } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
          signal,
        }),
      ),
    [api, status, kind, cursor],
  );
  const [statusInput, setStatusInput] = useState(status);
  const [kindInput, setKindInput] = useState(kind);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setCursors([]);
    window.location.hash = href('schedules', { status: statusInput, kind: kindInput });
  };
  return (
    <article>
      <h1>Schedules</h1>
      <form className="toolbar" onSubmit={apply} aria-label="filters">
        <label htmlFor="filter-status">status</label>
        <select
          id="filter-status"
          value={statusInput}
          onChange={(e) => setStatusInput(e.currentTarget.value)}
        >
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label htmlFor="filter-kind">kind</label>
        <select id="filter-kind" value={kindInput} onChange={(e) => setKindInput(e.currentTarget.value)}>
          <option value="">any</option>
          <option>plan</option>
          <option>what-if</option>
        </select>
        <button type="submit">Apply</button>
      </form>
      {loaded.state === 'loading' && <p role="status">Loading…</p>}
      {loaded.state === 'error' && <p role="alert">{loaded.message}</p>}
      {loaded.state === 'ready' && (
        <>
          <ScrollRegion label="schedules">
            <table data-testid="schedule-list">
              <thead>
                <tr>
                  <th scope="col">schedule</th>
                  <th scope="col">status</th>
                  <th scope="col">trigger</th>
                  <th scope="col">horizon</th>
                  <th scope="col">created</th>
                  <th scope="col" className="num">
                    total cost
                  </th>
                  <th scope="col">saving vs home</th>
                  <th scope="col">saving vs greedy</th>
                </tr>
              </thead>
              <tbody>
                {loaded.data.items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <a href={href('schedules', s.id)}>
                        {s.version !== null ? `v${s.version}` : `${s.kind} ${s.id.slice(0, 8)}`}
                      </a>
                    </td>
                    <td>
                      <span className={`status status-${s.status}`}>{s.status}</span>
                    </td>
                    <td>{s.trigger}</td>
                    <td>{utc(s.horizonStart)}</td>
                    <td>{utc(s.createdAt)}</td>
                    <td className="num">{money(s.totals.totalCost, s.currency)}</td>
                    <td>{savingText(s.savings.vsHome, s.currency)}</td>
                    <td>{savingText(s.savings.vsGreedy, s.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
          <div className="toolbar">
            <button
              type="button"
              disabled={cursors.length === 0}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Previous
            </button>
            <button
              type="button"
              disabled={!loaded.data.nextCursor}
              onClick={() => loaded.data.nextCursor && setCursors((c) => [...c, loaded.data.nextCursor!])}
            >
              Next
            </button>
          </div>
        </>
      )}
    </article>
  );
}
