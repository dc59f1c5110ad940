import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { METRICS, READINESS_CHECKS } from './tokens.js';

/** A named dependency check for `/ready`: resolves true when the dependency answers. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

/** `/health` (the process is alive), `/ready` (its dependencies answer), `/metrics` (Prometheus). */
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(METRICS) private readonly registry: Registry,
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
    const ready = results.every(([, state]) => state === 'up');
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not-ready', checks: Object.fromEntries(results) });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
