import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { HealthController } from '#gridshift/platform';
import { principalOf } from './access.guard.js';

/** Rate limit per API key (per client address when there is none); health probes and docs are not limited. */
@Injectable()
export class KeyThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = principalOf(req);
    if (principal) return Promise.resolve(`key:${principal.keyId}`);
    return Promise.resolve(`ip:${typeof req.ip === 'string' ? req.ip : 'unknown'}`);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.getType() !== 'http' || context.getClass() === HealthController);
  }
}
