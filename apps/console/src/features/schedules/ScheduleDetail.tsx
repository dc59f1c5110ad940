import { useEffect, useState } from 'react';
import { money, utc } from '../../shared/format';
import { href } from '../../shared/route';
import { useSession } from '../../shared/session';
import { useApi } from '../../shared/useApi';
import { scheduleDetail } from './api';
import { Decision } from './Decision';
import { PlanNotes } from './Figures';
import { Totals } from '../../shared/Totals';
import { Heatmap } from './Heatmap';
import { Placements } from './Placements';
import { PriceCurves } from './PriceCurves';

/** One schedule: figures, heatmap, prices, placements, shortfalls, assumptions, solver; approve / reject. */
export function ScheduleDetail({ id }: { id: string }) {
  const { api } = useSession();
  const { loaded, reload } = useApi((signal) => scheduleDetail(api, id, signal), [api, id]);
  // The heatmap first: prices and placements (two more requests, a second chart, a table) mount once it is
  // drawn, or after a second at the latest, so they do not compete with it for the main thread.
  const [belowFold, setBelowFold] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setBelowFold(true), 1000);
    return () => clearTimeout(timer);
  }, [id]);
  if (loaded.state === 'loading') return <p role="status">Loading schedule…</p>;
  if (loaded.state === 'error') return <p role="alert">{loaded.message}</p>;
  const d = loaded.data;
  return (
    <article>
      <h1>
        Schedule {d.version !== null ? `v${d.version}` : d.id.slice(0, 8)}{' '}
        <span className={`status status-${d.status}`} data-testid="schedule-status">
          {d.status}
        </span>
      </h1>
      <p className="muted">
        {d.kind} · trigger {d.trigger} · {utc(d.horizonStart)} → {utc(d.horizonEnd)} · created{' '}
        {utc(d.createdAt)}
        {d.approvedBy && ` · approved by ${d.approvedBy}`}
        {d.rejectedBy && ` · rejected by ${d.rejectedBy}: ${d.rejectedReason ?? ''}`}
      </p>
      <p>
        <a href={href('schedules', d.id, 'diff')}>Compare with the plan in force</a>
      </p>
      <Decision detail={d} onDecided={reload} />
      <section aria-labelledby="totals-title">
        <h2 id="totals-title">Cost and savings (planned)</h2>
        <Totals detail={d} />
        <p className="muted">
          Recomputed from the stored placements: {money(d.costs.totalCost, d.costs.currency)} total; savings
          compare the same work against the home and greedy baselines solved on this schedule’s own problem.
        </p>
      </section>
      <Heatmap detail={d} onDrawn={() => setBelowFold(true)} />
      {belowFold && <PriceCurves detail={d} />}
      {belowFold && <Placements scheduleId={d.id} currency={d.currency} />}
      <PlanNotes detail={d} />
    </article>
  );
}
