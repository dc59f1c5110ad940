import { describe, expect, it } from 'vitest';
import { busyShareAt, parseFleetFile, parseJobFile, SpecFileError } from './files.js';

const fleetYaml = `
currency: EUR
clusters:
  - id: fra-1
    region: eu-central
    zone: DE-LU
    gpuModel: H100
    gpuTotal: 1024
    kwPerGpu: 0.7
    pue: 1.2
    timeZone: Europe/Berlin
`;

describe('fleet and job files', () => {
  it('parses YAML with defaults', () => {
    const fleet = parseFleetFile('fleet.yaml', fleetYaml);
    expect(fleet.currency).toBe('EUR');
    expect(fleet.clusters[0]).toMatchObject({
      id: 'fra-1',
      peakBusyShare: 0.7,
      troughBusyShare: 0.35,
      latencyMsByOrigin: {},
    });
  });

  it.each([
    ['{ "clusters": [] }', 'clusters: Too small'],
    ['{ "clusters": [{ "id": "Bad Id" }] }', 'clusters[0].id: lower-case letters'],
    [
      '{ "clusters": [{ "id": "a", "region": "r", "zone": "z", "gpuModel": "H100", "gpuTotal": -1, "kwPerGpu": 1, "pue": 1.1 }] }',
      'clusters[0].gpuTotal',
    ],
    [
      '{ "clusters": [{ "id": "a", "region": "r", "zone": "z", "gpuModel": "H100", "gpuTotal": 1, "kwPerGpu": 1, "pue": 0.9 }] }',
      'clusters[0].pue',
    ],
    ['not json', 'not valid JSON'],
  ])('rejects a bad fleet file with the field path: %s', (text, fragment) => {
    expect(() => parseFleetFile('fleet.json', text)).toThrow(SpecFileError);
    expect(() => parseFleetFile('fleet.json', text)).toThrow(fragment);
  });

  it('checks job rules across fields and against the fleet', () => {
    const fleet = parseFleetFile('fleet.yaml', fleetYaml);
    const base = { id: 'j', model: 'm', tokensPerSecondPerGpu: { H100: 1000 }, origin: 'eu', maxGpus: 8 };
    expect(() =>
      parseJobFile('jobs.json', JSON.stringify({ jobs: [{ ...base, kind: 'interactive' }] })),
    ).toThrow('jobs[0].tokensPerHour: an interactive job needs tokensPerHour or demandTrace');
    expect(() =>
      parseJobFile(
        'jobs.json',
        JSON.stringify({
          jobs: [{ ...base, kind: 'batch', totalTokens: 1, windowStartHour: 5, deadlineHour: 5 }],
        }),
      ),
    ).toThrow('deadlineHour must be after windowStartHour');
    expect(() =>
      parseJobFile(
        'jobs.json',
        JSON.stringify({ jobs: [{ ...base, kind: 'batch', totalTokens: 1, homeClusterId: 'nope' }] }),
        fleet,
      ),
    ).toThrow('jobs[0].homeClusterId: unknown cluster nope');
    const ok = parseJobFile(
      'jobs.json',
      JSON.stringify({ jobs: [{ ...base, kind: 'batch', totalTokens: 1e9 }] }),
      fleet,
    );
    expect(ok.jobs[0]).toMatchObject({ tier: 'standard', residency: [] });
  });

  it('takes either steady or traced demand, and optional tier penalties', () => {
    const base = {
      id: 'j',
      model: 'm',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 1000 },
      origin: 'eu',
      maxGpus: 8,
    };
    expect(() =>
      parseJobFile(
        'jobs.json',
        JSON.stringify({ jobs: [{ ...base, tokensPerHour: 1, demandTrace: { file: 'llm-traces/x.csv' } }] }),
      ),
    ).toThrow(
      'jobs[0].demandTrace: set tokensPerHour (steady demand) or demandTrace (traced demand), not both',
    );
    const ok = parseJobFile(
      'jobs.yaml',
      `tierPenaltiesPerGpuHour: { critical: 500, gold: 50 }\njobs:\n  - ${JSON.stringify({ ...base, tokensPerHour: 1 })}\n`,
    );
    expect(ok.tierPenaltiesPerGpuHour).toEqual({ critical: 500, gold: 50 });
    expect(() =>
      parseJobFile(
        'jobs.json',
        JSON.stringify({ tierPenaltiesPerGpuHour: { critical: -1 }, jobs: [{ ...base, tokensPerHour: 1 }] }),
      ),
    ).toThrow('tierPenaltiesPerGpuHour.critical');
  });

  it.each([
    // [releaseEveryHours, kind, error fragment or null when valid]
    [undefined, 'batch', null], // default: one release a day (24)
    [1, 'batch', null], // hourly: 24 releases a day
    [6, 'batch', null],
    [24, 'batch', null],
    [5, 'batch', 'jobs[0].releaseEveryHours: must divide 24'], // 24 / 5 is not whole
    [48, 'batch', 'jobs[0].releaseEveryHours: must divide 24'],
    [0, 'batch', 'jobs[0].releaseEveryHours: must divide 24'],
    [1.5, 'batch', 'jobs[0].releaseEveryHours'], // not an integer
    [1, 'interactive', 'jobs[0].releaseEveryHours: releaseEveryHours is for batch jobs'],
  ] as const)('releaseEveryHours %s on a %s job', (releaseEveryHours, kind, fragment) => {
    const job = {
      id: 'summarize-eu',
      model: 'm',
      kind,
      tokensPerSecondPerGpu: { H100: 1000 },
      origin: 'eu',
      maxGpus: 8,
      ...(kind === 'batch'
        ? { totalTokens: 1e9, windowStartHour: 0, deadlineHour: 24 }
        : { tokensPerHour: 1 }),
      ...(releaseEveryHours === undefined ? {} : { releaseEveryHours }),
    };
    const parse = () => parseJobFile('jobs.json', JSON.stringify({ jobs: [job] }));
    if (fragment === null) expect(parse().jobs[0]?.releaseEveryHours).toBe(releaseEveryHours);
    else expect(parse).toThrow(fragment);
  });

  it('shapes busy share over the local day', () => {
    const c = { peakBusyShare: 0.8, troughBusyShare: 0.2, timeZone: 'UTC' };
    expect(busyShareAt(c, Date.parse('2023-03-01T16:00:00Z'))).toBeCloseTo(0.8, 9);
    expect(busyShareAt(c, Date.parse('2023-03-01T04:00:00Z'))).toBeCloseTo(0.2, 9);
    // 10:00 is a quarter day from both: cos(−π/2) = 0 → midway, 0.5
    expect(busyShareAt(c, Date.parse('2023-03-01T10:00:00Z'))).toBeCloseTo(0.5, 9);
    // Berlin is UTC+1 in March: 15:00Z is 16:00 local → peak
    expect(busyShareAt({ ...c, timeZone: 'Europe/Berlin' }, Date.parse('2023-03-01T15:00:00Z'))).toBeCloseTo(
      0.8,
      9,
    );
  });
});
