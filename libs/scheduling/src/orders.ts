import type { PlacementOrderV1, PlacementSlotV1 } from '#gridshift/contracts';

/** The latest order a cluster was sent (or is queued to be sent) before a new version. */
export interface PreviousOrder {
  version: number;
  /** True when that order assigned at least one GPU. */
  hadAssignments: boolean;
}

export interface BuildOrdersInput {
  scheduleId: string;
  version: number;
  issuedAtUtc: string;
  slotMinutes: number;
  placements: { jobId: string; clusterId: string; slotStartUtc: string; gpus: number }[];
  /** Per cluster, the latest earlier order. */
  previousOrders: Map<string, PreviousOrder>;
}

/**
 * One placement order per affected cluster (pure): a cluster is affected when the new schedule assigns it
 * GPUs or its latest earlier order did (it then gets an order with no slots, which clears it). An order
 * replaces every earlier order of its cluster; `supersedesVersion` is the version of that earlier order.
 * Slots are in time order with only non-empty assignments, jobs sorted by id; clusters sorted by id.
 */
export function buildPlacementOrders(input: BuildOrdersInput): PlacementOrderV1[] {
  const byCluster = new Map<string, Map<string, { jobId: string; gpus: number }[]>>();
  for (const p of input.placements) {
    if (p.gpus <= 0) continue;
    let slots = byCluster.get(p.clusterId);
    if (!slots) byCluster.set(p.clusterId, (slots = new Map<string, { jobId: string; gpus: number }[]>()));
    const list = slots.get(p.slotStartUtc);
    if (list) list.push({ jobId: p.jobId, gpus: p.gpus });
    else slots.set(p.slotStartUtc, [{ jobId: p.jobId, gpus: p.gpus }]);
  }
  const affected = new Set(byCluster.keys());
  for (const [clusterId, previous] of input.previousOrders) {
    if (previous.hadAssignments && previous.version < input.version) affected.add(clusterId);
  }
  const minutes = input.slotMinutes as PlacementSlotV1['minutes'];
  return [...affected].sort().map((clusterId) => {
    const slots = byCluster.get(clusterId) ?? new Map<string, { jobId: string; gpus: number }[]>();
    const previous = input.previousOrders.get(clusterId);
    return {
      scheduleId: input.scheduleId,
      scheduleVersion: input.version,
      clusterId,
      issuedAt: input.issuedAtUtc,
      supersedesVersion: previous && previous.version < input.version ? previous.version : null,
      slots: [...slots.entries()]
        .sort(([a], [b]) => Date.parse(a) - Date.parse(b))
        .map(([start, assignments]) => ({
          start,
          minutes,
          assignments: assignments.sort((a, b) => (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0)),
        })),
    };
  });
}

/** The stable message id of a placement order (consumers dedupe on it). */
export function placementMessageId(scheduleId: string, clusterId: string): string {
  return `placement:${scheduleId}:${clusterId}`;
}
