import { type FormEvent, useState } from 'react';
import { utc } from '../../shared/format';
import { useSession } from '../../shared/session';
import { scalars } from '../../shared/unknown';
import { dataOf, useApi } from '../../shared/useApi';
import { ScrollRegion } from '../../shared/ScrollRegion';

/** Who did what, when, with before/after and reason; filter by action or target. */
export function AuditLog() {
  const { api } = useSession();
  const [filters, setFilters] = useState({ action: '', targetId: '' });
  const [inputs, setInputs] = useState(filters);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const { loaded } = useApi(
    async (signal) =>
      dataOf(
        await api.GET('/audit-log', {
          params: {
            query: {
              limit: 50,
              ...(filters.action ? { action: filters.action } : {}),
              ...(filters.targetId ? { targetId: filters.targetId } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
          signal,
        }),
      ),
    [api, filters, cursor],
  );
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setCursors([]);
    setFilters({ action: inputs.action.trim(), targetId: inputs.targetId.trim() });
  };
  const change = (value: unknown) => {
    const all = scalars(value)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    return all.length > 200 ? `${all.slice(0, 200)}…` : all;
  };
  return (
    <article>
      <h1>Audit log</h1>
      <form className="toolbar" onSubmit={apply} aria-label="filters">
        <label htmlFor="audit-action">action</label>
        <input
          id="audit-action"
          value={inputs.action}
          onChange={(e) => setInputs({ ...inputs, action: e.currentTarget.value })}
          placeholder="schedule.approve"
        />
        <label htmlFor="audit-target">target id</label>
        <input
          id="audit-target"
          value={inputs.targetId}
          onChange={(e) => setInputs({ ...inputs, targetId: e.currentTarget.value })}
        />
        <button type="submit">Apply</button>
      </form>
      {loaded.state === 'loading' && <p role="status">Loading…</p>}
      {loaded.state === 'error' && <p role="alert">{loaded.message}</p>}
      {loaded.state === 'ready' && (
        <>
          <ScrollRegion label="audit entries">
            <table data-testid="audit">
              <thead>
                <tr>
                  <th scope="col">when</th>
                  <th scope="col">who</th>
                  <th scope="col">action</th>
                  <th scope="col">target</th>
                  <th scope="col">reason</th>
                  <th scope="col">after</th>
                </tr>
              </thead>
              <tbody>
                {loaded.data.items.map((a) => (
                  <tr key={a.id}>
                    <td>{utc(a.at)}</td>
                    <td>{a.actor}</td>
                    <td>{a.action}</td>
                    <td>
                      {a.targetType} {a.targetId}
                    </td>
                    <td>{a.reason ?? ''}</td>
                    <td className="small">{change(a.after)}</td>
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
