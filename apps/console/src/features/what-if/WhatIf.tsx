import { type FormEvent, useState } from 'react';
import type { ApiClient, Schemas } from '../../api/client';
import { money, num } from '../../shared/format';
import { href } from '../../shared/route';
import { canOperate, useSession } from '../../shared/session';
import { Totals } from '../../shared/Totals';
import { dataOf, useApi } from '../../shared/useApi';

type Scenario = Schemas['WhatIf']['scenario'];

interface Outcome {
  whatIf: Schemas['ScheduleSummary'];
  inForce: Schemas['ScheduleSummary'] | null;
  diff: Schemas['ScheduleDiff'] | null;
}

async function runWhatIf(api: ApiClient, scenario: Scenario, reason: string): Promise<Outcome> {
  const whatIf = dataOf(await api.POST('/what-ifs', { body: { scenario, ...(reason ? { reason } : {}) } }));
  const published = dataOf(
    await api.GET('/schedules', { params: { query: { status: 'published', limit: 1 } } }),
  );
  const inForce = published.items[0] ?? null;
  const diff = inForce
    ? dataOf(
        await api.GET('/schedules/{id}/diff', {
          params: { path: { id: whatIf.id }, query: { against: inForce.id, limit: 20 } },
        }),
      )
    : null;
  return { whatIf, inForce, diff };
}

/** What-if: scale zone prices, take clusters out, scale demand; the result beside the plan in force. */
export function WhatIf() {
  const session = useSession();
  const { loaded } = useApi(
    async (signal) => ({
      zones: dataOf(await session.api.GET('/zones', { signal })).items,
      clusters: dataOf(await session.api.GET('/clusters', { signal })).items,
    }),
    [session.api],
  );
  const [multipliers, setMultipliers] = useState<Record<string, string>>({});
  const [outage, setOutage] = useState<string[]>([]);
  const [demand, setDemand] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  if (!canOperate(session))
    return <p>What-ifs are planned by operators; this key is a {session.caller.role} key.</p>;
  if (loaded.state === 'loading') return <p role="status">Loading…</p>;
  if (loaded.state === 'error') return <p role="alert">{loaded.message}</p>;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const priceMultiplierByZone = Object.fromEntries(
      Object.entries(multipliers)
        .filter(([, v]) => v.trim() !== '')
        .map(([zone, v]) => [zone, Number(v)]),
    );
    const scenario: Scenario = {
      ...(Object.keys(priceMultiplierByZone).length ? { priceMultiplierByZone } : {}),
      ...(outage.length ? { unavailableClusters: outage } : {}),
      ...(demand.trim() ? { demandMultiplier: Number(demand) } : {}),
    };
    setBusy(true);
    setError(null);
    runWhatIf(session.api, scenario, reason.trim())
      .then(setOutcome)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  };

  return (
    <article>
      <h1>What-if</h1>
      <p className="muted">
        Plans the current inputs with these changes; stored as a what-if, never published.
      </p>
      <form onSubmit={submit} className="what-if">
        <fieldset>
          <legend>Price multiplier per zone</legend>
          {loaded.data.zones.map((z) => (
            <label key={z.id} className="inline">
              {z.id}{' '}
              <input
                type="number"
                step="0.1"
                min="0"
                max="100"
                inputMode="decimal"
                aria-label={`price multiplier ${z.id}`}
                value={multipliers[z.id] ?? ''}
                onChange={(e) => setMultipliers({ ...multipliers, [z.id]: e.currentTarget.value })}
                placeholder="1"
                size={4}
              />
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Cluster outage</legend>
          {loaded.data.clusters.map((c) => (
            <label key={c.id} className="inline">
              <input
                type="checkbox"
                checked={outage.includes(c.id)}
                onChange={(e) =>
                  setOutage(e.currentTarget.checked ? [...outage, c.id] : outage.filter((x) => x !== c.id))
                }
              />{' '}
              {c.id}
            </label>
          ))}
        </fieldset>
        <label htmlFor="what-if-demand">Demand multiplier</label>
        <input
          id="what-if-demand"
          type="number"
          step="0.1"
          min="0"
          max="100"
          value={demand}
          onChange={(e) => setDemand(e.currentTarget.value)}
          placeholder="1"
        />
        <label htmlFor="what-if-reason">Reason</label>
        <input id="what-if-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Planning…' : 'Plan the what-if'}
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
      {outcome && (
        <section aria-labelledby="comparison-title" data-testid="what-if-comparison">
          <h2 id="comparison-title">Result beside the plan in force</h2>
          <div className="two">
            <div>
              <h3>
                What-if <a href={href('schedules', outcome.whatIf.id)}>{outcome.whatIf.id.slice(0, 8)}</a>
              </h3>
              <Totals detail={outcome.whatIf} />
            </div>
            <div>
              <h3>
                In force{' '}
                {outcome.inForce ? (
                  <a href={href('schedules', outcome.inForce.id)}>v{outcome.inForce.version}</a>
                ) : (
                  '— none'
                )}
              </h3>
              {outcome.inForce && <Totals detail={outcome.inForce} />}
            </div>
          </div>
          {outcome.diff && (
            <p data-testid="what-if-diff">
              Against the plan in force: {num(outcome.diff.totals.jobsChanged, 0)} jobs change,{' '}
              {num(outcome.diff.totals.movedGpuHours, 1)} GPU-h move, cost delta{' '}
              {money(outcome.diff.totals.costDelta, outcome.diff.currency)} over the common slots.{' '}
              <a href={href('schedules', outcome.whatIf.id, 'diff', { against: outcome.inForce?.id })}>
                See what moved
              </a>
            </p>
          )}
        </section>
      )}
    </article>
  );
}
