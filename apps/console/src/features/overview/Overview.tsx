import type { ApiClient, Schemas } from '../../api/client';
import { age, money, num, pct, utc } from '../../shared/format';
import { href } from '../../shared/route';
import { useSession } from '../../shared/session';
import { Totals } from '../../shared/Totals';
import { field, text } from '../../shared/unknown';
import { dataOf, useApi } from '../../shared/useApi';

const DAY_MS = 86_400_000;
/** Dead letters counted over the last day; the newest few are listed. */
const DEAD_LETTER_WINDOW_MINUTES = 1440;
const DEAD_LETTERS_LISTED = 5;
const UNACKED_LISTED = 20;

interface Period {
  label: string;
  from: Date;
  to: Date;
}

/** Today and this month (UTC), and the horizon of the plan in force (the demo plans a day of 2023). */
function periods(now: Date, inForce: Schemas['ScheduleSummary'] | null): Period[] {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const out: Period[] = [
    { label: 'today', from: today, to: new Date(today.getTime() + DAY_MS) },
    { label: 'this month', from: month, to: nextMonth },
  ];
  if (inForce)
    out.push({
      label: 'horizon of the plan in force',
      from: new Date(inForce.horizonStart),
      to: new Date(inForce.horizonEnd),
    });
  return out;
}

async function measuredSavings(
  api: ApiClient,
  inForce: { horizonStart: string; horizonEnd: string } | null,
  signal: AbortSignal,
) {
  const now = new Date();
  const from = inForce
    ? inForce.horizonStart
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const to = inForce
    ? inForce.horizonEnd
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
  try {
    return dataOf(
      await api.GET('/reports/measured-savings', {
        params: { query: { from, to, groupBy: 'day' } },
        signal,
      }),
    );
  } catch {
    return null;
  }
}

async function loadOverview(api: ApiClient, signal: AbortSignal) {
  const [published, drafts, prices, load] = await Promise.all([
    api.GET('/schedules', { params: { query: { status: 'published', limit: 1 } }, signal }).then(dataOf),
    api.GET('/schedules', { params: { query: { status: 'draft', limit: 50 } }, signal }).then(dataOf),
    api.GET('/prices/freshness', { signal }).then(dataOf),
    api.GET('/load/latest', { signal }).then(dataOf),
  ]);
  const inForce = published.items[0] ?? null;
  const [detail, savings, measured, deadLetters, unacked] = await Promise.all([
    inForce
      ? api.GET('/schedules/{id}', { params: { path: { id: inForce.id } }, signal }).then(dataOf)
      : null,
    Promise.all(
      periods(new Date(), inForce).map(async (p) => ({
        period: p,
        report: await api
          .GET('/reports/savings', {
            params: { query: { from: p.from.toISOString(), to: p.to.toISOString() } },
            signal,
          })
          .then(dataOf),
      })),
    ),
    // Measured savings over the in-force horizon (else this month); a failing report never hides the overview.
    measuredSavings(api, inForce, signal),
    api
      .GET('/dead-letters', {
        params: { query: { windowMinutes: DEAD_LETTER_WINDOW_MINUTES, limit: DEAD_LETTERS_LISTED } },
        signal,
      })
      .then(dataOf),
    api
      .GET('/deliveries/unacknowledged', { params: { query: { limit: UNACKED_LISTED } }, signal })
      .then(dataOf),
  ]);
  return { inForce, detail, drafts: drafts.items, prices, load, savings, measured, deadLetters, unacked };
}

type Data = Awaited<ReturnType<typeof loadOverview>>;

function alertsOf(data: Data): string[] {
  const alerts: string[] = [];
  const stalePrices = data.prices.items.filter((p) => p.stale);
  if (stalePrices.length > 0)
    alerts.push(
      `Stale prices: ${stalePrices.map((p) => `${p.zone} ${p.market} (${age(p.ageMinutes)})`).join(', ')}.`,
    );
  const staleLoad = data.load.items.filter((c) => c.stale);
  if (staleLoad.length > 0)
    alerts.push(
      `Stale load reports: ${staleLoad.map((c) => `${c.clusterId} (${age(c.ageMinutes)})`).join(', ')}.`,
    );
  const fallback = text(field(data.detail?.solverStats, 'solver') ?? data.detail?.solverStats, 'fallback');
  if (fallback && fallback !== 'null')
    alerts.push(`The plan in force was solved by the ${fallback} fallback, not the optimum.`);
  if (data.deadLetters.total > 0)
    alerts.push(
      `${num(data.deadLetters.total, 0)} dead letter(s) in the last ${age(data.deadLetters.window.minutes)}: ` +
        data.deadLetters.counts.map((c) => `${c.sourceTopic} ${c.code} × ${num(c.count, 0)}`).join(', ') +
        '.',
    );
  if (data.unacked.count > 0)
    alerts.push(
      `${num(data.unacked.count, 0)} placement order(s) not acknowledged within ${age(data.unacked.timeoutSeconds / 60)}` +
        ` (oldest sent ${age(data.unacked.oldestAgeSeconds / 60)} ago): ` +
        data.unacked.items.map((d) => `${d.clusterId} v${d.version}`).join(', ') +
        (data.unacked.nextCursor ? ', …' : '') +
        '.',
    );
  if (data.drafts.length > 0) alerts.push(`${data.drafts.length} draft schedule(s) wait for a decision.`);
  if (!data.inForce) alerts.push('No schedule is in force.');
  return alerts;
}

/** The operator's first page: the plan in force, planned savings, feed freshness and alerts. */
export function Overview() {
  const { api } = useSession();
  const { loaded } = useApi((signal) => loadOverview(api, signal), [api]);
  if (loaded.state === 'loading') return <p role="status">Loading overview…</p>;
  if (loaded.state === 'error') return <p role="alert">{loaded.message}</p>;
  const data = loaded.data;
  const alerts = alertsOf(data);
  return (
    <article>
      <h1>Overview</h1>
      <section aria-labelledby="alerts-title">
        <h2 id="alerts-title">Alerts</h2>
        {alerts.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul data-testid="alerts">
            {alerts.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        )}
        {data.deadLetters.items.length > 0 && (
          <table data-testid="dead-letters">
            <caption>
              Newest dead letters (the <code>.dlq</code> topics keep the originals;{' '}
              <code>npm run dlq:replay</code> re-sends them)
            </caption>
            <thead>
              <tr>
                <th scope="col">recorded</th>
                <th scope="col">topic</th>
                <th scope="col">code</th>
                <th scope="col">key</th>
                <th scope="col">reason</th>
              </tr>
            </thead>
            <tbody>
              {data.deadLetters.items.map((d) => (
                <tr key={d.id}>
                  <td>{utc(d.recordedAt)}</td>
                  <td>
                    {d.sourceTopic} [{d.sourcePartition}] @{d.sourceOffset}
                  </td>
                  <td>{d.code}</td>
                  <td>{d.key ?? '—'}</td>
                  <td>{d.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="in-force-title">
        <h2 id="in-force-title">Schedule in force</h2>
        {data.inForce ? (
          <>
            <p>
              <a href={href('schedules', data.inForce.id)} data-testid="in-force-link">
                v{data.inForce.version}
              </a>{' '}
              · {utc(data.inForce.horizonStart)} → {utc(data.inForce.horizonEnd)} · published{' '}
              {utc(data.inForce.publishedAt)}
            </p>
            <Totals detail={data.inForce} />
          </>
        ) : (
          <p>None published yet.</p>
        )}
      </section>
      <section aria-labelledby="savings-title">
        <h2 id="savings-title">Savings</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">period</th>
              <th scope="col" className="num">
                schedules
              </th>
              <th scope="col" className="num">
                covered hours
              </th>
              <th scope="col" className="num">
                planned vs home
              </th>
              <th scope="col" className="num">
                planned vs greedy
              </th>
            </tr>
          </thead>
          <tbody>
            {data.savings.map(({ period, report }) => (
              <tr key={period.label}>
                <th scope="row">
                  {period.label}{' '}
                  <span className="muted">
                    ({utc(period.from.toISOString())} → {utc(period.to.toISOString())})
                  </span>
                </th>
                <td className="num">{report.schedules}</td>
                <td className="num">
                  {num(report.coveredHours, 0)} / {num(report.rangeHours, 0)}
                </td>
                {[report.totals.vsHome, report.totals.vsGreedy].map((s, i) => (
                  <td key={i} className="num">
                    {report.schedules === 0
                      ? 'no schedule'
                      : s.comparable
                        ? `${money(s.amount, report.currency)} (${pct(s.pct)})`
                        : `not comparable (${s.excludedSchedules} schedule(s) excluded)`}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <p data-testid="measured-savings">
          <strong>Measured savings:</strong>{' '}
          {data.measured !== null && data.measured.totals.realized.gpuHours > 0
            ? `realized ${money(data.measured.totals.realized.cost, data.measured.currency)} for ${num(data.measured.totals.realized.gpuHours, 0)} GPU-h; ` +
              `vs home ${data.measured.totals.vsHome === null ? 'not comparable' : money(data.measured.totals.vsHome, data.measured.currency)}, ` +
              `vs greedy ${data.measured.totals.vsGreedy === null ? 'not comparable' : money(data.measured.totals.vsGreedy, data.measured.currency)}, ` +
              `vs plan ${money(data.measured.totals.vsPlan, data.measured.currency)}`
            : 'not reported yet (no usage from the data centers for this period).'}
        </p>
      </section>
      <section aria-labelledby="freshness-title">
        <h2 id="freshness-title">Feed freshness</h2>
        <div className="two">
          <table>
            <caption>Prices (stale after {data.prices.staleAfterMinutes} min)</caption>
            <thead>
              <tr>
                <th scope="col">zone</th>
                <th scope="col">market</th>
                <th scope="col">covered until</th>
                <th scope="col">state</th>
              </tr>
            </thead>
            <tbody>
              {data.prices.items.map((p) => (
                <tr key={`${p.zone}|${p.market}`}>
                  <td>{p.zone}</td>
                  <td>{p.market}</td>
                  <td>{utc(p.coveredUntil)}</td>
                  <td className={p.stale ? 'bad' : 'good'}>
                    {p.stale ? `stale ${age(p.ageMinutes)}` : 'fresh'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Cluster load (stale after {data.load.staleAfterMinutes} min)</caption>
            <thead>
              <tr>
                <th scope="col">cluster</th>
                <th scope="col">zone</th>
                <th scope="col" className="num">
                  schedulable GPUs
                </th>
                <th scope="col">observed</th>
                <th scope="col">state</th>
              </tr>
            </thead>
            <tbody>
              {data.load.items.map((c) => (
                <tr key={c.clusterId}>
                  <td>{c.clusterId}</td>
                  <td>{c.zone}</td>
                  <td className="num">
                    {num(c.gpuSchedulable, 0)} / {num(c.gpuTotal, 0)}
                  </td>
                  <td>{utc(c.observedAt)}</td>
                  <td className={c.stale ? 'bad' : 'good'}>
                    {c.stale ? `stale ${age(c.ageMinutes)}` : 'fresh'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </article>
  );
}
