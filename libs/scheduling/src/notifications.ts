import pg from 'pg';
import type { Logger } from '#gridshift/observability';
import { listenToPlannerChannel } from '#gridshift/persistence';

/**
 * What changed: prices, cluster state or grid events stored, a plan request filed, outbox rows written, a data
 * center refused (part of) an order, realized usage stored.
 */
export type PlannerNotification =
  'prices' | 'load' | 'grid-events' | 'plan-request' | 'outbox' | 'rejection' | 'usage';

export interface PlannerNotificationsOptions {
  connectionString: string;
  schema: string;
  logger: Logger;
  onNotification: (topic: PlannerNotification) => void;
  /** Called after (re)connecting, since notifications sent while disconnected are lost. */
  onReconnect?: () => void;
}

/**
 * LISTENs on the deployment's channel (`gridshift_<schema>`) on a dedicated connection and reconnects
 * with backoff when it drops. Notifications only wake the planner early; a poll covers anything missed.
 */
export class PlannerNotifications {
  private client: pg.Client | null = null;
  private running = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;

  constructor(private readonly options: PlannerNotificationsOptions) {}

  async start(): Promise<void> {
    this.running = true;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: 'gridshift-planner-listen',
      keepAlive: true,
    });
    client.on('notification', (message) => {
      const topic = message.payload as PlannerNotification | undefined;
      if (topic) this.options.onNotification(topic);
    });
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'notification connection lost; reconnecting');
      this.reconnectLater(client);
    });
    client.on('end', () => this.reconnectLater(client));
    try {
      await client.connect();
      await listenToPlannerChannel(client, this.options.schema);
      this.client = client;
      if (this.attempt > 0) this.options.onReconnect?.();
      this.attempt = 0;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'notification connection failed; retrying');
      this.reconnectLater(client);
    }
  }

  private reconnectLater(client: pg.Client): void {
    if (!this.running || this.retryTimer) return;
    if (this.client === client) this.client = null;
    void client.end().catch(() => undefined);
    const delay = Math.min(10_000, 200 * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }
}
