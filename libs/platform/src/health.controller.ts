import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { ConsumerStatusBoard, type ConsumerReadiness } from './consumers.js';
import { CONSUMERS, METRICS, READINESS_CHECKS } from './tokens.js';

/** A named dependency check for `/ready`: resolves true when the dependency answers. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

/**
 * `/health` (the process is alive: no dependency is consulted), `/ready` (its dependencies answer and no
 * consumer is stuck; each consumer's state is listed), `/metrics` (Prometheus).
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(METRICS) private readonly registry: Registry,
    @Inject(CONSUMERS) private readonly consumers: ConsumerStatusBoard,
  ) {}

  @Get('health')
  @HttpCode(200)
  health(): { status: 'ok'; uptimeSeconds: number } {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        const ok = await Promise.race([
          c.check().catch(() => false),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
        ]);
        return [c.name, ok ? 'up' : 'down'] as const;
      }),
    );
    const body: {
      status: 'ready' | 'not-ready';
      checks: Record<string, 'up' | 'down'>;
      consumers?: ConsumerReadiness[];
    } = { status: 'ready', checks: Object.fromEntries(results) };
    if (this.consumers.size > 0) {
      body.consumers = this.consumers.snapshot();
      body.checks.consumers = body.consumers.every((c) => c.ready) ? 'up' : 'down';
    }
    const ready = Object.values(body.checks).every((state) => state === 'up');
    body.status = ready ? 'ready' : 'not-ready';
    res.status(ready ? 200 : 503).json(body);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
