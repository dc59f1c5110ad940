import pg from 'pg';
import type { Logger } from '#gridshift/observability';
import { PlannerLeaseRepository } from '#gridshift/persistence';

export interface LeaderElectionOptions {
  connectionString: string;
  schema: string;
  /** Identifies this process in planner_leases.holder (host:pid:random). */
  holderId: string;
  /** Lease length: a leader that has not renewed for this long loses the lock (its session is closed). */
  leaseMs: number;
  logger: Logger;
  /** Called once per term with the new epoch (awaited before the next renewal). */
  onElected: (epoch: number) => Promise<void> | void;
  /** Called when the term ends: lease lost, connection gone, or stop(). */
  onDemoted: (reason: string) => Promise<void> | void;
}

/**
 * One active planner across processes: a PostgreSQL session-level advisory lock held on a dedicated
 * connection, plus a leader epoch bumped in planner_leases on every election. The lock connection runs
 * with `idle_session_timeout = lease`, so a process that stops renewing (paused, hung, partitioned) has
 * its session closed by the server and its lock released; the next leader bumps the epoch, and the
 * fencing trigger then rejects every write still carrying the old epoch.
 */
export class LeaderElection {
  private client: pg.Client | null = null;
  private epochValue: number | null = null;
  private lastRenewedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaderElectionOptions) {}

  /** The epoch of the current term, or null when not leading (or the lease may have run out). */
  get epoch(): number | null {
    if (this.epochValue === null) return null;
    return Date.now() - this.lastRenewedAt < this.options.leaseMs ? this.epochValue : null;
  }

  get isLeader(): boolean {
    return this.epoch !== null;
  }

  /** Starts campaigning: tries the lock now, then every lease/3. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Steps down (releasing the lock) and stops campaigning. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await this.demote('stopped');
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() =>
        this.schedule(Math.max(100, Math.floor(this.options.leaseMs / 3))),
      );
    }, delayMs);
  }

  private async tick(): Promise<void> {
    try {
      if (this.epochValue === null) await this.campaign();
      else await this.renew();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'leader election: database error');
      await this.demote(`database error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const { schema, leaseMs } = this.options;
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: 'gridshift-planner-leader',
      // The server closes this session when it idles longer than the lease: a paused leader loses the lock.
      options: `-c search_path=${schema},public -c idle_session_timeout=${leaseMs} -c lock_timeout=${leaseMs}`,
      connectionTimeoutMillis: Math.max(1000, leaseMs),
    });
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'leader election connection error');
      if (this.client === client) this.client = null;
      void this.demote(`connection error: ${error.message}`);
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async campaign(): Promise<void> {
    const client = await this.connect();
    if (!(await PlannerLeaseRepository.tryLock(client, this.options.schema))) return;
    const epoch = await PlannerLeaseRepository.bumpEpoch(client, this.options.holderId, this.options.leaseMs);
    this.epochValue = epoch;
    this.lastRenewedAt = Date.now();
    this.options.logger.info({ epoch, holder: this.options.holderId }, 'elected planner leader');
    await this.options.onElected(epoch);
  }

  private async renew(): Promise<void> {
    const client = await this.connect();
    const renewed = await PlannerLeaseRepository.renew(
      client,
      this.options.holderId,
      this.epochValue!,
      this.options.leaseMs,
    );
    if (!renewed) {
      await this.demote('the lease row names another leader');
      return;
    }
    this.lastRenewedAt = Date.now();
  }

  private async demote(reason: string): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) {
      // Closing the session releases the advisory lock.
      await client.end().catch(() => undefined);
    }
    if (this.epochValue === null) return;
    const epoch = this.epochValue;
    this.epochValue = null;
    this.options.logger.warn({ epoch, reason }, 'planner leadership lost');
    await this.options.onDemoted(reason);
  }
}
