import { num } from '../../shared/format';
import { field, scalars, text } from '../../shared/unknown';
import type { ScheduleDetailView } from './api';

/** Shortfalls, assumptions and solver figures: what the plan could not do and what it assumed. */
export function PlanNotes({ detail }: { detail: ScheduleDetailView }) {
  const solver = scalars(field(detail.solverStats, 'solver') ?? detail.solverStats);
  return (
    <>
      <section aria-labelledby="shortfalls-title">
        <h2 id="shortfalls-title">Shortfalls ({detail.shortfallCount})</h2>
        {detail.shortfalls.length === 0 ? (
          <p>Every job is fully served.</p>
        ) : (
          <ul>
            {detail.shortfalls.map((s, i) => (
              <li key={text(s, 'jobId') ?? i}>
                {text(s, 'jobId')}: {num(Number(text(s, 'gpuHours')), 1)} GPU-h unserved ({text(s, 'outcome')}
                ; {(field(s, 'reasons') as unknown[] | undefined)?.map((r) => text(r, 'reason')).join(', ')})
              </li>
            ))}
            {detail.shortfallsTruncated && <li>… more in the API (shortfallLimit)</li>}
          </ul>
        )}
      </section>
      <section aria-labelledby="assumptions-title">
        <h2 id="assumptions-title">Assumptions ({detail.assumptionCount})</h2>
        {detail.assumptions.length === 0 ? (
          <p>No input was missing or stale.</p>
        ) : (
          <ul>
            {detail.assumptions.map((a, i) => (
              <li key={i}>
                <code>{text(a, 'code')}</code> {text(a, 'message')}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="solver-title">
        <h2 id="solver-title">Solver</h2>
        <dl className="figures">
          <dt>objective</dt>
          <dd>{num(detail.objective, 2)}</dd>
          <dt>costs match stored totals</dt>
          <dd>{detail.costs.matchesStoredTotals ? 'yes' : 'no'}</dd>
          <dt>input hash</dt>
          <dd>
            <code>{detail.inputHash.slice(0, 16)}</code>
          </dd>
          {solver.map(([k, v]) => (
            <div key={k} className="pair">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </section>
    </>
  );
}
