import { type FormEvent, useState } from 'react';
import type { Schemas } from '../../api/client';
import { num } from '../../shared/format';
import { canOperate, useSession } from '../../shared/session';
import { dataOf, useApi } from '../../shared/useApi';
import { ScrollRegion } from '../../shared/ScrollRegion';

type Job = Schemas['Job'];

/** Pin a job to a cluster, forbid one, or clear its pins (operators); optionally re-plan at once. */
function PinForm({ job, onDone }: { job: Job; onDone: (message: string) => void }) {
  const { api } = useSession();
  const [clusterId, setClusterId] = useState('');
  const [mode, setMode] = useState<'pin' | 'forbid' | 'clear'>('forbid');
  const [reason, setReason] = useState('');
  const [replan, setReplan] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    api
      .POST('/jobs/{id}/pins', {
        params: { path: { id: job.id } },
        body: {
          clusterId: clusterId.trim(),
          mode,
          replan,
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        },
      })
      .then(dataOf)
      .then(() => onDone(`${mode} ${clusterId} for ${job.id}${replan ? '; re-plan requested' : ''}`))
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  const id = `pin-${job.id}`;
  return (
    <form className="toolbar" onSubmit={submit} aria-label={`pins of ${job.id}`}>
      <label htmlFor={`${id}-mode`}>override</label>
      <select id={`${id}-mode`} value={mode} onChange={(e) => setMode(e.currentTarget.value as typeof mode)}>
        <option value="pin">pin to</option>
        <option value="forbid">forbid</option>
        <option value="clear">clear</option>
      </select>
      <label htmlFor={`${id}-cluster`}>cluster</label>
      <input
        id={`${id}-cluster`}
        value={clusterId}
        onChange={(e) => setClusterId(e.currentTarget.value)}
        required
        size={10}
      />
      <label htmlFor={`${id}-reason`}>reason</label>
      <input
        id={`${id}-reason`}
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        size={24}
      />
      <label className="inline">
        <input type="checkbox" checked={replan} onChange={(e) => setReplan(e.currentTarget.checked)} />{' '}
        re-plan now
      </label>
      <button type="submit">Apply</button>
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </form>
  );
}

/** Jobs: status, pins; pause, resume and pin/forbid for operators. */
export function Jobs() {
  const session = useSession();
  const operate = canOperate(session);
  const [cursors, setCursors] = useState<string[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const cursor = cursors.at(-1);
  const { loaded, reload } = useApi(
    async (signal) =>
      dataOf(
        await session.api.GET('/jobs', {
          params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } },
          signal,
        }),
      ),
    [session.api, cursor],
  );
  const toggle = (job: Job) => {
    const params = { path: { id: job.id } };
    const call =
      job.status === 'active'
        ? session.api.POST('/jobs/{id}/pause', { params, body: {} })
        : session.api.POST('/jobs/{id}/resume', { params, body: {} });
    call
      .then(dataOf)
      .then(() => {
        setMessage(`${job.id} ${job.status === 'active' ? 'paused' : 'resumed'}`);
        reload();
      })
      .catch((e: unknown) => setMessage(e instanceof Error ? e.message : String(e)));
  };
  return (
    <article>
      <h1>Jobs</h1>
      {message && <p role="status">{message}</p>}
      {loaded.state === 'loading' && <p role="status">Loading…</p>}
      {loaded.state === 'error' && <p role="alert">{loaded.message}</p>}
      {loaded.state === 'ready' && (
        <>
          <ScrollRegion label="jobs">
            <table data-testid="jobs">
              <thead>
                <tr>
                  <th scope="col">job</th>
                  <th scope="col">kind</th>
                  <th scope="col">tier</th>
                  <th scope="col">home</th>
                  <th scope="col" className="num">
                    max GPUs
                  </th>
                  <th scope="col">pins</th>
                  <th scope="col">status</th>
                  {operate && <th scope="col">actions</th>}
                </tr>
              </thead>
              <tbody>
                {loaded.data.items.map((job) => (
                  <tr key={job.id}>
                    <td>
                      {job.id}
                      {open === job.id && operate && (
                        <PinForm
                          job={job}
                          onDone={(m) => {
                            setMessage(m);
                            setOpen(null);
                            reload();
                          }}
                        />
                      )}
                    </td>
                    <td>{job.kind}</td>
                    <td>{job.tier}</td>
                    <td>{job.homeClusterId ?? '—'}</td>
                    <td className="num">{num(job.maxGpus, 0)}</td>
                    <td>
                      {[
                        ...(job.pins.mustRunIn ?? []).map((c) => `pinned ${c}`),
                        ...(job.pins.mustNotRunIn ?? []).map((c) => `not ${c}`),
                      ].join(', ') || '—'}
                    </td>
                    <td>{job.status}</td>
                    {operate && (
                      <td>
                        <button type="button" onClick={() => toggle(job)}>
                          {job.status === 'active' ? 'Pause' : 'Resume'} {job.id}
                        </button>{' '}
                        <button
                          type="button"
                          onClick={() => setOpen(open === job.id ? null : job.id)}
                          aria-expanded={open === job.id}
                        >
                          Pins of {job.id}
                        </button>
                      </td>
                    )}
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
