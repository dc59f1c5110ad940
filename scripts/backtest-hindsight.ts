// Dev check: how close the rolling perfect-foresight plan of the backtest (a plan a day, --horizon-hours ahead)
// comes to one plan over the whole span (the hindsight bound), on the same inputs, the same accounting and the
// same finite world (no work released after the range). Capacity-binds scenario, full-year 2023 data.
//   npm run backtest:hindsight -- --from 2023-03-01 --days 7 [--horizon-hours 48] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  addFigures,
  loadBacktestInput,
  rollingPerfectOptimum,
  singlePlanOptimum,
  zeroFigures,
  type Figures,
} from '#gridshift/backtest';
import { findDataDir } from '#gridshift/datasets';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '2023-03-01' },
    days: { type: 'string', default: '7' },
    'horizon-hours': { type: 'string', default: '48' },
    json: { type: 'string' },
  },
});
const data = findDataDir();
const fromMs = Date.parse(`${values.from}T00:00:00Z`);
const days = Number(values.days);
const horizonHours = Number(values['horizon-hours']);
const { input } = loadBacktestInput({
  fleetFile: join(data, 'scenarios/capacity-binds/fleet.yaml'),
  jobsFile: join(data, 'scenarios/capacity-binds/jobs.yaml'),
  pricesDir: join(data, 'prices-2023'),
  carbonDir: join(data, 'carbon-2023'),
  fx: 'auto',
  dataDir: data,
  outDir: '/dev/null',
  fromMs,
  toMs: fromMs + days * 86_400_000,
  step: 'day',
  horizonHours,
  carbonPricePerTonne: 0,
  information: 'perfect',
});
const sum = (byDay: Map<string, Figures>) => [...byDay.values()].reduce(addFigures, zeroFigures());
const cost = (f: Figures) => f.energyCost + f.carbonCost + f.penaltyCost;
let t = performance.now();
const rolling = sum(rollingPerfectOptimum(input));
const rollingMs = performance.now() - t;
t = performance.now();
const single = sum(singlePlanOptimum(input));
const singleMs = performance.now() - t;
const gap = (cost(rolling) - cost(single)) / cost(single);
const rows = [
  { metric: 'rolling perfect-foresight cost', value: cost(rolling), unit: input.market.currency },
  { metric: 'single-plan hindsight cost', value: cost(single), unit: input.market.currency },
  { metric: 'rolling / single − 1', value: gap * 100, unit: '%' },
  {
    metric: 'served GPU-h rolling / single',
    value: rolling.servedGpuHours / single.servedGpuHours,
    unit: 'ratio',
  },
  { metric: 'rolling runtime', value: rollingMs, unit: 'ms' },
  { metric: 'single-plan runtime', value: singleMs, unit: 'ms' },
];
for (const r of rows)
  console.log(`${r.metric.padEnd(34)} ${r.value.toFixed(r.unit === 'ms' ? 0 : 4)} ${r.unit}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
