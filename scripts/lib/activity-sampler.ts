// What competes with a benchmark's step on this machine and in PostgreSQL: every ~20 ms a sample of
// pg_stat_activity (state, wait event, blockers of every server process), and per step the CPU time every process
// of the machine used (from /proc) and the server's buffer, checkpoint and WAL counters. For bench:loop --diagnose.
import { readdirSync, readFileSync } from 'node:fs';
import type { ActivityRow, PipelineProbeRepository, ServerCounters } from '#gridshift/persistence';

/** USER_HZ of /proc times (100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

interface ProcessCpu {
  /** `comm`, or for PostgreSQL its process title (`postgres: user db host state`), shortened. */
  name: string;
  cpuMs: number;
}

/** CPU time used so far by every process on the machine, by pid (processes that end in between are skipped). */
function processCpu(): Map<number, ProcessCpu> {
  const out = new Map<number, ProcessCpu>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
      let name = comm;
      if (comm === 'postgres' || comm === 'node' || comm === 'java') {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        name = comm === 'java' ? (cmd.includes('kafka') ? 'java (kafka)' : 'java') : cmd.slice(0, 90);
      }
      out.set(Number(entry), { name, cpuMs });
    } catch {
      // The process ended while being read.
    }
  }
  return out;
}

/** Busy and total CPU time of the whole machine so far (ms, all cores). */
function machineCpu(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS_PER_S, totalMs: (total * 1000) / CLOCK_TICKS_PER_S };
}

export interface SamplerPids {
  /** This process (the benchmark). */
  bench: number;
  /** Child processes started by the benchmark, by role (e.g. ingest). */
  children: Record<string, number | undefined>;
}

interface StepRecord {
  step: string;
  ms: number;
  machineBusyMs: number;
  machineTotalMs: number;
  counters: Partial<Record<keyof ServerCounters, number>>;
  /** CPU ms per group of processes during the step. */
  cpuByGroup: Record<string, number>;
  /** The busiest processes during the step. */
  topProcesses: { pid: number; name: string; cpuMs: number }[];
  /** Samples per (group, state, wait event) during the step. */
  waits: Record<string, number>;
  samples: number;
}

/**
 * Samples server activity while steps run: `measure(step, fn)` runs `fn` with a sample every `intervalMs` and records
 * who used the CPU and what every PostgreSQL process was doing or waiting for. `records` hold one entry per step.
 */
export class ActivitySampler {
  readonly records: StepRecord[] = [];
  readonly rawSamples: { t: number; step: string; activity: ActivityRow[] }[] = [];

  constructor(
    private readonly probe: PipelineProbeRepository,
    private readonly pids: SamplerPids,
    private readonly intervalMs = 20,
  ) {}

  async measure<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const cpu0 = processCpu();
    const machine0 = machineCpu();
    const counters0 = await this.probe.serverCounters();
    const t0 = performance.now();
    let running = true;
    const waits: Record<string, number> = {};
    let samples = 0;
    // Backends of this benchmark's own database by application, learnt from the samples (for the CPU groups).
    const backendGroup = new Map<number, string>();
    const loop = (async () => {
      while (running) {
        const started = performance.now();
        const activity = await this.probe.activity();
        samples += 1;
        this.rawSamples.push({ t: Math.round(started - t0), step, activity });
        for (const a of activity) {
          const group = this.groupOf(a);
          backendGroup.set(a.pid, group);
          if (a.state === 'idle' && a.backendType === 'client backend') continue;
          const what = a.waitEventType === null ? 'on CPU' : `${a.waitEventType}/${a.waitEvent}`;
          const blocked = a.blockedBy.length > 0 ? ` blocked by ${a.blockedBy.join(',')}` : '';
          const key = `${group} | ${a.state ?? '-'} | ${what}${blocked}`;
          waits[key] = (waits[key] ?? 0) + 1;
        }
        const left = this.intervalMs - (performance.now() - started);
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      }
    })();
    try {
      return await fn();
    } finally {
      running = false;
      await loop;
      const ms = performance.now() - t0;
      const machine1 = machineCpu();
      const counters1 = await this.probe.serverCounters();
      const cpu1 = processCpu();
      const cpuByGroup: Record<string, number> = {};
      const used: { pid: number; name: string; cpuMs: number }[] = [];
      for (const [pid, p] of cpu1) {
        const before = cpu0.get(pid)?.cpuMs ?? 0;
        const delta = p.cpuMs - before;
        if (delta <= 0) continue;
        used.push({ pid, name: p.name, cpuMs: delta });
        const group = this.processGroup(pid, p.name, backendGroup);
        cpuByGroup[group] = (cpuByGroup[group] ?? 0) + delta;
      }
      used.sort((a, b) => b.cpuMs - a.cpuMs);
      const counters: Partial<Record<keyof ServerCounters, number>> = {};
      for (const k of Object.keys(counters1) as (keyof ServerCounters)[])
        counters[k] = counters1[k] - counters0[k];
      this.records.push({
        step,
        ms: Math.round(ms),
        machineBusyMs: Math.round(machine1.busyMs - machine0.busyMs),
        machineTotalMs: Math.round(machine1.totalMs - machine0.totalMs),
        counters,
        cpuByGroup,
        topProcesses: used.slice(0, 12),
        waits,
        samples,
      });
    }
  }

  /** A PostgreSQL process's group: background ones by type, client backends by database and application. */
  private groupOf(a: ActivityRow): string {
    if (a.backendType !== 'client backend') return `pg ${a.backendType}`;
    if (a.database !== 'own') return 'pg backend of another database';
    return `pg backend ${a.applicationName || '(no name)'}`;
  }

  private processGroup(pid: number, name: string, backends: Map<number, string>): string {
    if (pid === this.pids.bench) return 'bench process (node)';
    for (const [role, child] of Object.entries(this.pids.children))
      if (child === pid) return `${role} process (node)`;
    const backend = backends.get(pid);
    if (backend !== undefined) return backend;
    if (name.startsWith('postgres')) return 'pg other (not sampled)';
    if (name.startsWith('java')) return name;
    if (name.includes('node') || name.includes('.js') || name.includes('vitest'))
      return 'other node processes';
    return 'other processes';
  }
}
