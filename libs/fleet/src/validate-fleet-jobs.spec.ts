import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDataDir } from '#gridshift/datasets';
import { parseFleetFile, parseJobFile, SpecFileError } from './files.js';
import { fleetJobsIssues, FleetJobsMismatchError, validateFleetJobs } from './validate-fleet-jobs.js';

const fleet = parseFleetFile(
  'fleet.yaml',
  `
clusters:
  - { id: fra-1, region: eu, zone: DE-LU, gpuModel: H100, gpuTotal: 8, kwPerGpu: 1, pue: 1.2,
      latencyMsByOrigin: { eu-users: 18 } }
  - { id: dfw-1, region: us, zone: US-TEX-ERCO, gpuModel: A100, gpuTotal: 8, kwPerGpu: 1, pue: 1.3,
      latencyMsByOrigin: { eu-users: 120, us-east-users: 35 } }
`,
);
const files = { fleetFile: 'fleet.yaml', jobsFile: 'jobs.yaml' };
const job = {
  id: 'chat',
  model: 'm',
  kind: 'interactive',
  tokensPerHour: 1e9,
  tokensPerSecondPerGpu: { H100: 1000 },
  origin: 'eu-users',
  maxGpus: 8,
};
const jobs = (...overrides: Record<string, unknown>[]) =>
  parseJobFile(
    'jobs.yaml',
    JSON.stringify({ jobs: overrides.map((o, i) => ({ ...job, id: `j${i}`, ...o })) }),
  );

describe('validateFleetJobs', () => {
  it.each([
    {
      name: 'residency zone with a typo',
      job: { residency: ['US-TEX-ERCO', 'DE_LU'] },
      want: 'jobs[0].residency[1]: zone DE_LU is not a zone of any cluster in fleet.yaml (zones: DE-LU, US-TEX-ERCO)',
    },
    {
      name: 'unknown home cluster',
      job: { homeClusterId: 'fra-2' },
      want: 'jobs[0].homeClusterId: cluster fra-2 is not a cluster of fleet.yaml (clusters: dfw-1, fra-1)',
    },
    {
      name: 'origin no cluster has a latency for',
      job: { origin: 'eu_users' },
      want: 'jobs[0].origin: origin eu_users has no latencyMsByOrigin entry in any cluster of fleet.yaml (origins: eu-users, us-east-users)',
    },
    {
      name: 'no GPU model of the fleet',
      job: { tokensPerSecondPerGpu: { B200: 5000, h100: 1000 } },
      want: 'jobs[0].tokensPerSecondPerGpu: names no GPU model of fleet.yaml (job: B200, h100; fleet: A100, H100)',
    },
  ])('rejects a $name with file, path and rule', ({ job: override, want }) => {
    const parsed = jobs(override);
    expect(() => validateFleetJobs(files, fleet, parsed)).toThrow(FleetJobsMismatchError);
    expect(() => validateFleetJobs(files, fleet, parsed)).toThrow(`jobs.yaml: ${want}`);
  });

  it('reports every problem, one per line, and is a SpecFileError (exit 2 in the CLIs)', () => {
    const parsed = jobs({}, { residency: ['FR'], homeClusterId: 'x' }, { origin: 'mars' });
    let error: unknown;
    try {
      validateFleetJobs(files, fleet, parsed);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecFileError);
    expect((error as Error).message.split('\n')).toEqual([
      'jobs.yaml: jobs[1].residency[0]: zone FR is not a zone of any cluster in fleet.yaml (zones: DE-LU, US-TEX-ERCO)',
      'jobs.yaml: jobs[1].homeClusterId: cluster x is not a cluster of fleet.yaml (clusters: dfw-1, fra-1)',
      'jobs.yaml: jobs[2].origin: origin mars has no latencyMsByOrigin entry in any cluster of fleet.yaml (origins: eu-users, us-east-users)',
    ]);
  });

  it('accepts GPU models the fleet lacks next to one it has, and any origin when nothing uses latency', () => {
    expect(
      fleetJobsIssues('fleet.yaml', fleet, jobs({ tokensPerSecondPerGpu: { H100: 1, B200: 2 } })),
    ).toEqual([]);
    const noLatency = parseFleetFile(
      'f.yaml',
      'clusters: [{ id: a, region: r, zone: Z, gpuModel: H100, gpuTotal: 1, kwPerGpu: 1, pue: 1 }]',
    );
    expect(fleetJobsIssues('f.yaml', noLatency, jobs({ origin: 'anywhere' }))).toEqual([]);
    expect(fleetJobsIssues('f.yaml', noLatency, jobs({ origin: 'anywhere', latencySlaMs: 50 }))).toEqual([
      {
        path: 'jobs[0].origin',
        message: 'origin anywhere has no latencyMsByOrigin entry in any cluster of f.yaml (origins: none)',
      },
    ]);
  });

  it('finds nothing wrong with the demo fleet and jobs', () => {
    const data = findDataDir();
    const read = (f: string) => readFileSync(join(data, f), 'utf8');
    const demoFleet = parseFleetFile('fleet.yaml', read('demo/fleet.yaml'));
    const demoJobs = parseJobFile('jobs.yaml', read('demo/jobs.yaml'), demoFleet);
    expect(fleetJobsIssues('fleet.yaml', demoFleet, demoJobs)).toEqual([]);
  });
});
