import type {
  AckReasonV1,
  AckStatus,
  AppliedAssignmentV1,
  PlacementOrderV1,
  UsageRowV1,
} from '#gridshift/contracts';

/** How the simulated cluster behaves; every deviation from "does what it is told" is opt-in. */
export interface ClusterBehaviour {
  /** GPUs the cluster can give gridshift's work in any slot (default: unlimited). */
  capacityGpus?: number;
  /** Jobs a rule of this data center refuses to run here (`policy` refusals). */
  refuseJobs?: readonly string[];
  /** Share of the ordered GPU-hours the jobs really use (1 = as ordered; 0.6 = 40 % below: drift). */
  realizationFactor?: number;
  /** Random noise on realized GPU-hours, ± this share (uniform), e.g. 0.05. */
  usageNoise?: number;
  /** Metered facility kWh per realized GPU-hour (IT kW per GPU × PUE), default 0.7 × 1.2 = 0.84. */
  kwhPerGpuHour?: number;
}

/** What the cluster made of an order: the ack to send and the GPUs really running per slot. */
export interface AppliedOrder {
  status: Exclude<AckStatus, 'accepted'>;
  reasons: AckReasonV1[];
  /** Per job and slot, GPUs applied where they differ from the order. */
  differences: AppliedAssignmentV1[];
  /** The slots as applied (jobs with 0 GPUs left out). */
  slots: { start: string; minutes: number; assignments: { jobId: string; gpus: number }[] }[];
}

/**
 * Applies an order to the simulated cluster (pure): refused jobs get 0 GPUs (`policy`); when a slot asks for more
 * than `capacityGpus`, each job's GPUs are cut pro rata, rounded down (`capacity`). Nothing applied of a non-empty
 * order → `rejected`; some of it → `partially-applied`; all → `applied`.
 */
export function applyOrder(order: PlacementOrderV1, behaviour: ClusterBehaviour): AppliedOrder {
  const refused = new Set(behaviour.refuseJobs ?? []);
  const capacity = behaviour.capacityGpus ?? Number.POSITIVE_INFINITY;
  const reasons: AckReasonV1[] = [];
  const refusedJobs = new Set<string>();
  let capacityShort = false;
  const differences: AppliedAssignmentV1[] = [];
  let orderedGpus = 0;
  let appliedGpus = 0;
  const slots = order.slots.map((slot) => {
    const allowed = slot.assignments.map((a) => {
      if (refused.has(a.jobId)) refusedJobs.add(a.jobId);
      return { jobId: a.jobId, ordered: a.gpus, gpus: refused.has(a.jobId) ? 0 : a.gpus };
    });
    const asked = allowed.reduce((s, a) => s + a.gpus, 0);
    if (asked > capacity) {
      capacityShort = true;
      for (const a of allowed) a.gpus = Math.floor((a.gpus * capacity) / asked);
    }
    for (const a of allowed) {
      orderedGpus += a.ordered;
      appliedGpus += a.gpus;
      if (a.gpus !== a.ordered) differences.push({ jobId: a.jobId, slotStart: slot.start, gpus: a.gpus });
    }
    return {
      start: slot.start,
      minutes: slot.minutes,
      assignments: allowed.filter((a) => a.gpus > 0).map((a) => ({ jobId: a.jobId, gpus: a.gpus })),
    };
  });
  for (const jobId of [...refusedJobs].sort())
    reasons.push({ code: 'policy', text: `${jobId} may not run on ${order.clusterId} (site rule)`, jobId });
  if (capacityShort)
    reasons.push({
      code: 'capacity',
      text: `${order.clusterId} has ${capacity} GPUs for gridshift work; assignments cut pro rata`,
    });
  const status =
    differences.length === 0
      ? 'applied'
      : appliedGpus === 0 && orderedGpus > 0
        ? 'rejected'
        : 'partially-applied';
  return { status, reasons, differences, slots };
}

/**
 * Realized usage of the applied slots that ended by `nowMs` (pure, given `random`): GPU-hours = GPUs × slot hours ×
 * realizationFactor × (1 ± usageNoise), energy = GPU-hours × kwhPerGpuHour.
 */
export function realizedUsage(
  slots: AppliedOrder['slots'],
  behaviour: ClusterBehaviour,
  nowMs: number,
  random: () => number,
): UsageRowV1[] {
  const factor = behaviour.realizationFactor ?? 1;
  const noise = behaviour.usageNoise ?? 0;
  const kwh = behaviour.kwhPerGpuHour ?? 0.84;
  const rows: UsageRowV1[] = [];
  for (const slot of slots) {
    if (Date.parse(slot.start) + slot.minutes * 60_000 > nowMs) continue;
    for (const a of slot.assignments) {
      const gpuHours = a.gpus * (slot.minutes / 60) * factor * (1 + noise * (2 * random() - 1));
      const rounded = Math.max(0, Math.round(gpuHours * 1000) / 1000);
      rows.push({
        jobId: a.jobId,
        slotStart: slot.start,
        minutes: slot.minutes as UsageRowV1['minutes'],
        gpuHours: rounded,
        energyKwh: Math.round(rounded * kwh * 1000) / 1000,
      });
    }
  }
  return rows;
}
