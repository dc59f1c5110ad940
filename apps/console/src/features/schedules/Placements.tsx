import { type FormEvent, useState } from 'react';
import { money, num, utc } from '../../shared/format';
import { useSession } from '../../shared/session';
import { text } from '../../shared/unknown';
import { dataOf, useApi } from '../../shared/useApi';
import { ScrollRegion } from '../../shared/ScrollRegion';

const PAGE = 100;

/** One job's explanation sentence ("why here and not somewhere cheaper"), loaded on demand. */
function Explanation({ scheduleId, jobId }: { scheduleId: string; jobId: string }) {
  const { api } = useSession();
  const { loaded } = useApi(
    async (signal) =>
      dataOf(
        await api.GET('/schedules/{id}/jobs/{jobId}', {
          params: { path: { id: scheduleId, jobId } },
          signal,
        }),
      ),
    [api, scheduleId, jobId],
  );
  if (loaded.state === 'loading') return <span role="status">loading…</span>;
  if (loaded.state === 'error') return <span role="alert">{loaded.message}</span>;
  const summary = text(loaded.data.explanation, 'summary');
  const shortfall = loaded.data.shortfall
    ? ` Shortfall: ${num(Number(text(loaded.data.shortfall, 'gpuHours')), 1)} GPU-h unserved.`
    : '';
  return (
    <span data-testid="explanation">
      {summary ?? 'The planner stored no explanation for this job.'}
      {shortfall}
    </span>
  );
}

/** Per-job placements of a schedule, paged by the API (a 5k-job schedule has ~136k rows), with each job's why. */
export function Placements({ scheduleId, currency }: { scheduleId: string; currency: string | null }) {
  const { api } = useSession();
  const [jobFilter, setJobFilter] = useState('');
  const [jobId, setJobId] = useState<string | undefined>();
  const [cursors, setCursors] = useState<string[]>([]);
  const [explained, setExplained] = useState<string | null>(null);
  const cursor = cursors.at(-1);
  const { loaded } = useApi(
    async (signal) =>
      dataOf(
        await api.GET('/schedules/{id}/placements', {
          params: {
            path: { id: scheduleId },
            query: { limit: PAGE, ...(cursor ? { cursor } : {}), ...(jobId ? { jobId } : {}) },
          },
          signal,
        }),
      ),
    [api, scheduleId, cursor, jobId],
  );
  const filter = (event: FormEvent) => {
    event.preventDefault();
    setCursors([]);
    setJobId(jobFilter.trim() || undefined);
  };
  return (
    <section aria-labelledby="placements-title">
      <h2 id="placements-title">Placements per job</h2>
      <form className="toolbar" onSubmit={filter}>
        <label htmlFor="placements-job">job</label>
        <input
          id="placements-job"
          value={jobFilter}
          onChange={(e) => setJobFilter(e.currentTarget.value)}
          placeholder="job id"
        />
        <button type="submit">Filter</button>
      </form>
      {loaded.state === 'error' && <p role="alert">{loaded.message}</p>}
      {loaded.state === 'loading' && <p role="status">Loading placements…</p>}
      {loaded.state === 'ready' && (
        <>
          <ScrollRegion label="placements">
            <table data-testid="placements">
              <thead>
                <tr>
                  <th scope="col">job</th>
                  <th scope="col">cluster</th>
                  <th scope="col">slot</th>
                  <th scope="col" className="num">
                    GPUs
                  </th>
                  <th scope="col" className="num">
                    GPU-h
                  </th>
                  <th scope="col" className="num">
                    cost
                  </th>
                  <th scope="col">why</th>
                </tr>
              </thead>
              <tbody>
                {loaded.data.items.map((p) => {
                  const key = `${p.jobId}|${p.clusterId}|${p.slotStart}`;
                  return (
                    <tr key={key}>
                      <td>{p.jobId}</td>
                      <td>{p.clusterId}</td>
                      <td>{utc(p.slotStart)}</td>
                      <td className="num">{num(p.gpus, 0)}</td>
                      <td className="num">{num(p.gpuHours, 2)}</td>
                      <td className="num">{money(p.cost, currency)}</td>
                      <td>
                        {explained === key ? (
                          <Explanation scheduleId={scheduleId} jobId={p.jobId} />
                        ) : (
                          <button type="button" className="link" onClick={() => setExplained(key)}>
                            why {p.jobId} here?
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
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
    </section>
  );
}
