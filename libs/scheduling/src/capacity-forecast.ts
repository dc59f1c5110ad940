import type { Assumption } from './assumptions.js';

// Pure capacity forecast for one plan: a cluster's latest state and its load history → schedulable GPUs per slot.

const MS_PER_MINUTE = 60_000;

/** Latest state of a cluster from its load reports. */
export interface ClusterStateSnapshot {
  observedAtUtc: string;
  gpuTotal: number;
  gpuBusy: number;
  gpuSchedulable: number;
  powerCapKw: number | null;
  pue: number;
}

/**
 * Capacity forecast of one cluster: the latest schedulable GPUs for the first slot, then per slot the
 * median schedulable GPUs reported at the same UTC hour of day within the lookback (else the latest),
 * capped by the installed GPUs. No report at all → 0 GPUs (flagged); an old report → used, flagged.
 */
export function forecastCapacity(
  cluster: { id: string; gpuTotal: number; state: ClusterStateSnapshot | null },
  medianByHour: Map<number, number>,
  slotStartsMs: number[],
  nowMs: number,
  loadMaxAgeMinutes: number,
): { schedulableGpus: number[]; assumptions: Assumption[] } {
  const state = cluster.state;
  if (!state) {
    return {
      schedulableGpus: slotStartsMs.map(() => 0),
      assumptions: [
        {
          code: 'capacity-missing',
          clusterId: cluster.id,
          message: `${cluster.id}: no load report yet; 0 schedulable GPUs assumed`,
        },
      ],
    };
  }
  const cap = Math.min(cluster.gpuTotal, state.gpuTotal);
  const latest = Math.max(0, Math.min(cap, state.gpuSchedulable));
  let forecastUsed = false;
  const schedulableGpus = slotStartsMs.map((startMs, t) => {
    if (t === 0) return latest;
    const m = medianByHour.get(new Date(startMs).getUTCHours());
    if (m === undefined) return latest;
    const value = Math.max(0, Math.min(cap, Math.floor(m)));
    if (value !== latest) forecastUsed = true;
    return value;
  });
  const assumptions: Assumption[] = [];
  const ageMinutes = (nowMs - Date.parse(state.observedAtUtc)) / MS_PER_MINUTE;
  if (ageMinutes > loadMaxAgeMinutes) {
    assumptions.push({
      code: 'capacity-stale',
      clusterId: cluster.id,
      message: `${cluster.id}: the latest load report is ${Math.round(ageMinutes)} min old (limit ${loadMaxAgeMinutes} min); used anyway`,
      details: { observedAtUtc: state.observedAtUtc, ageMinutes: Math.round(ageMinutes) },
    });
  }
  if (forecastUsed) {
    assumptions.push({
      code: 'capacity-forecast',
      clusterId: cluster.id,
      message: `${cluster.id}: future slots use the median schedulable GPUs reported at the same hour of day`,
    });
  }
  return { schedulableGpus, assumptions };
}
