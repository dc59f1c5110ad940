import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDataDir } from '#gridshift/datasets';
import { FleetJobsMismatchError } from '#gridshift/fleet';
import { BacktestInputError } from './errors.js';
import { csvFilesUnder, loadBacktestInput, readZonePrices, type BacktestRunOptions } from './runner.js';

// File-level behaviour of the runner on temp folders and the shipped March 2023 data (no solving).

const data = findDataDir();
const FROM = Date.parse('2023-03-01T00:00:00Z');
let tmp = '';

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'gridshift-runner-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function options(overrides: Partial<BacktestRunOptions>): BacktestRunOptions {
  return {
    fleetFile: join(data, 'demo/fleet.yaml'),
    jobsFile: join(data, 'demo/jobs.yaml'),
    pricesDir: join(data, 'prices'),
    carbonDir: join(data, 'carbon'),
    fx: 'auto',
    dataDir: data,
    outDir: join(tmp, 'out'),
    fromMs: FROM,
    toMs: FROM + 86_400_000,
    step: 'day',
    horizonHours: 24,
    carbonPricePerTonne: 0,
    ...overrides,
  };
}

/** A job file with steady demand only (no trace files), for runs whose data folder is a temp one. */
function steadyJobs(dir: string, extra = ''): string {
  const path = join(dir, 'jobs.yaml');
  writeFileSync(
    path,
    `jobs:
  - { id: chat-eu, model: m, kind: interactive, tokensPerSecondPerGpu: { H100: 1800 }, tokensPerHour: 1.0e9,
      origin: eu-users, residency: [DE-LU, FR], maxGpus: 100, homeClusterId: fra-1 }
${extra}`,
  );
  return path;
}

describe('csvFilesUnder', () => {
  it('follows symlinks to files and folders, once per folder, and skips dangling links', () => {
    const root = join(tmp, 'links');
    const real = join(tmp, 'real');
    mkdirSync(join(real, 'nested'), { recursive: true });
    mkdirSync(root);
    writeFileSync(join(real, 'a.csv'), 'x');
    writeFileSync(join(real, 'nested', 'b.csv'), 'x');
    symlinkSync(join(real, 'a.csv'), join(root, 'linked.csv')); // link to a file
    symlinkSync(real, join(root, 'dir')); // link to a folder
    symlinkSync(root, join(real, 'nested', 'back')); // cycle: real/nested/back → links → dir → real
    symlinkSync(join(tmp, 'missing.csv'), join(root, 'dangling.csv'));
    expect(csvFilesUnder(root, 'prices').map((p) => relative(root, p))).toEqual([
      'dir/a.csv',
      'dir/nested/b.csv',
      'linked.csv',
    ]);
  });

  it('accepts a symlinked folder as the root and refuses a missing one', () => {
    const link = join(tmp, 'real-link');
    symlinkSync(join(tmp, 'real'), link);
    // nested/back leads to the links folder; its dir link leads back here and is not walked again
    expect(csvFilesUnder(link, 'prices').map((p) => relative(link, p))).toEqual([
      'a.csv',
      'nested/b.csv',
      'nested/back/linked.csv',
    ]);
    expect(() => csvFilesUnder(join(tmp, 'nope'), 'carbon')).toThrow(
      `the carbon folder ${join(tmp, 'nope')} does not exist`,
    );
  });

  it('reads a price file that is a symlink (it used to be "no price file for zone DE-LU")', () => {
    const dir = join(tmp, 'prices-linked');
    mkdirSync(dir);
    const name = 'DE-LU_electricity_prices_2023-03.csv';
    symlinkSync(join(data, 'prices', name), join(dir, name));
    const [series] = readZonePrices(dir, ['DE-LU']);
    expect(series?.zone).toBe('DE-LU');
    expect(series?.points.length).toBeGreaterThan(700);
  });
});

describe('loadBacktestInput', () => {
  it('checks the job file against the fleet and reports every problem', () => {
    const dir = join(tmp, 'typo');
    mkdirSync(dir);
    const jobsFile = steadyJobs(
      dir,
      `  - { id: eval, model: m, kind: batch, tokensPerSecondPerGpu: { A100: 9000 }, totalTokens: 1.0e9,
      origin: us-users, residency: [US-TEX-ERCO, DE_LU], maxGpus: 10, homeClusterId: dfw-2 }
`,
    );
    const load = () => loadBacktestInput(options({ jobsFile }));
    expect(load).toThrow(FleetJobsMismatchError);
    const jobs = relative(process.cwd(), jobsFile);
    const fleet = relative(process.cwd(), join(data, 'demo/fleet.yaml'));
    const zones = 'DE-LU, ES, FR, GB, NL, US-CAL-CISO, US-NY-NYIS, US-TEX-ERCO';
    expect(load).toThrow(
      [
        `${jobs}: jobs[1].residency[1]: zone DE_LU is not a zone of any cluster in ${fleet} (zones: ${zones})`,
        `${jobs}: jobs[1].homeClusterId: cluster dfw-2 is not a cluster of ${fleet} (clusters: ams-1, dfw-1, fra-1, lon-1, mad-1, nyc-1, par-1, sjc-1)`,
        `${jobs}: jobs[1].origin: origin us-users has no latencyMsByOrigin entry in any cluster of ${fleet} (origins: eu-users, uk-users, us-east-users, us-west-users)`,
        `${jobs}: jobs[1].tokensPerSecondPerGpu: names no GPU model of ${fleet} (job: A100; fleet: H100)`,
      ].join('\n'),
    );
  });

  it('reports the loading phases in order, with timings', () => {
    const phases: string[] = [];
    loadBacktestInput(options({}), {
      onLoading: (what) => phases.push(`start ${what}`),
      onLoaded: (what, ms, detail) => phases.push(`end ${what} ${ms >= 0 ? 'ms' : '?'} ${detail}`),
    });
    expect(phases).toEqual([
      'start fleet and jobs',
      'end fleet and jobs ms 8 clusters, 8 jobs',
      'start prices',
      expect.stringMatching(/^end prices ms 8 zones, [\d,]+ hours$/) as string,
      'start carbon',
      'end carbon ms 5 zones',
      'start traces',
      'end traces ms 2 profiles',
    ]);
  });

  it('--fx auto uses the table of the prices year', () => {
    const loaded = loadBacktestInput(options({}));
    expect(loaded.exchangeRates).toEqual([
      { year: 2023, file: relative(process.cwd(), join(data, 'fx-2023.json')), tableYear: 2023 },
    ]);
    expect(loaded.warnings).toEqual([]);
  });

  it('--fx auto falls back to the nearest year and warns', () => {
    const dir = join(tmp, 'fx-only-2024');
    mkdirSync(dir);
    copyFileSync(join(data, 'fx-2024.json'), join(dir, 'fx-2024.json'));
    const warnings: string[] = [];
    const loaded = loadBacktestInput(options({ dataDir: dir, jobsFile: steadyJobs(dir), carbonDir: null }), {
      onWarning: (w) => warnings.push(w),
    });
    const file = relative(process.cwd(), join(dir, 'fx-2024.json'));
    expect(loaded.exchangeRates).toEqual([{ year: 2023, file, tableYear: 2024 }]);
    expect(warnings).toEqual([
      `Exchange rates: no table for 2023; prices of 2023 are converted with the 2024 rates of ${file}.`,
    ]);
    expect(loaded.warnings).toEqual(warnings);
  });

  it('warns that a carbon price does nothing without carbon data', () => {
    const loaded = loadBacktestInput(options({ carbonDir: null, carbonPricePerTonne: 80 }));
    expect(loaded.warnings).toEqual([
      'Carbon price 80 USD/t has no effect: no carbon data was read (--carbon none).',
    ]);
  });

  it('--fx FILE of another year warns; --fx auto without tables is an input error', () => {
    const file = join(data, 'fx-2024.json');
    const loaded = loadBacktestInput(options({ fx: { file } }));
    expect(loaded.warnings).toEqual([
      `Exchange rates: ${relative(process.cwd(), file)} holds 2024 rates but converts the prices of 2023.`,
    ]);
    const empty = join(tmp, 'no-fx');
    mkdirSync(empty);
    const load = () => loadBacktestInput(options({ dataDir: empty, jobsFile: steadyJobs(empty) }));
    expect(load).toThrow(BacktestInputError);
    expect(load).toThrow(
      `--fx auto found no fx-<year>.json under ${relative(process.cwd(), empty)}; pass --fx FILE`,
    );
  });
});
