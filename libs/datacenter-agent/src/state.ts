import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OrderReasonV1, PlacementAckV1 } from '#gridshift/contracts';
import type { AppliedOrder } from './behaviour.js';

/** What an agent remembers across restarts. */
export interface AgentState {
  clusterId: string;
  /** Highest version applied; orders with a version ≤ it are ignored. */
  appliedVersion: number;
  /** Every version applied, in order (the exactly-once record). */
  appliedLog: {
    version: number;
    scheduleId: string;
    messageId: string;
    status: string;
    appliedAt: string;
    /** The order's reasons (header `gridshift-reasons`) when it had any, e.g. the grid events it honours. */
    reasons?: OrderReasonV1[];
  }[];
  /** The ack of the applied order and its message-id (re-sent when the order arrives again). */
  lastAck: { ack: PlacementAckV1; ackMessageId: string } | null;
  /** Message ids of orders handled, newest last (bounded). */
  seenMessageIds: string[];
  /** The slots running now (of the applied order). */
  slots: AppliedOrder['slots'];
  /** `${jobId}@${slotStart}` of usage already reported. */
  reported: string[];
}

export function emptyState(clusterId: string): AgentState {
  return {
    clusterId,
    appliedVersion: 0,
    appliedLog: [],
    lastAck: null,
    seenMessageIds: [],
    slots: [],
    reported: [],
  };
}

/** Where an agent keeps its state. */
export interface StateStore {
  load(clusterId: string): AgentState;
  save(state: AgentState): void;
}

/** In memory: for tests and embedded agents that need no restart safety. */
export class MemoryStateStore implements StateStore {
  private readonly states = new Map<string, AgentState>();
  load(clusterId: string): AgentState {
    return structuredClone(this.states.get(clusterId) ?? emptyState(clusterId));
  }
  save(state: AgentState): void {
    this.states.set(state.clusterId, structuredClone(state));
  }
}

/**
 * One JSON file per cluster, replaced atomically (write a temporary file, fsync, rename), so a SIGKILL leaves the
 * previous or the new state, never a torn one: an order is applied before its ack is sent and its offset committed,
 * and a redelivered order whose version is already applied is not applied again.
 */
export class FileStateStore implements StateStore {
  constructor(private readonly pathOf: (clusterId: string) => string) {}

  load(clusterId: string): AgentState {
    try {
      return JSON.parse(readFileSync(this.pathOf(clusterId), 'utf8')) as AgentState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(clusterId);
      throw error;
    }
  }

  save(state: AgentState): void {
    const path = this.pathOf(state.clusterId);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
}
