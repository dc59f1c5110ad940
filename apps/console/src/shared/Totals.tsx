import type { Schemas } from '../api/client';
import { money, num, pct } from './format';

type ScheduleSummary = Schemas['ScheduleSummary'];
type Saving = NonNullable<ScheduleSummary['savings']['vsHome']>;

/** A saving against one baseline, honest about comparability (a baseline serving less is no saving). */
export function savingText(saving: Saving | null, currency: string | null): string {
  if (!saving) return 'no baseline';
  if (!saving.comparable || saving.amount === null)
    return `not comparable (baseline serves ${num(saving.baselineServedGpuHours, 0)} GPU-h, schedule ${num(saving.servedGpuHours, 0)})`;
  return `${money(saving.amount, currency)} (${pct(saving.pct)})`;
}

/** Totals and savings of a schedule. */
export function Totals({ detail }: { detail: ScheduleSummary }) {
  const c = detail.currency;
  const t = detail.totals;
  return (
    <dl className="figures">
      <dt>energy cost</dt>
      <dd>{money(t.energyCost, c)}</dd>
      <dt>total cost</dt>
      <dd>{money(t.totalCost, c)}</dd>
      <dt>served</dt>
      <dd>{num(t.servedGpuHours, 0)} GPU-h</dd>
      <dt>unserved</dt>
      <dd>{num(t.unservedGpuHours, 0)} GPU-h</dd>
      <dt>energy</dt>
      <dd>{num(t.energyMwh, 1)} MWh</dd>
      <dt>carbon</dt>
      <dd>{num(t.carbonTonnes, 1)} t CO₂</dd>
      <dt>saving vs home</dt>
      <dd data-testid="saving-home">{savingText(detail.savings.vsHome, c)}</dd>
      <dt>saving vs greedy</dt>
      <dd data-testid="saving-greedy">{savingText(detail.savings.vsGreedy, c)}</dd>
    </dl>
  );
}
