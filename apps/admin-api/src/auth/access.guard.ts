import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { APP_CONFIG, HealthController } from '#gridshift/platform';
import type { AdminApiConfig } from '../config.js';
import { bearerToken } from './api-keys.js';
import { Authenticator } from './authenticator.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE, type Principal, type Role, roleAtLeast } from './roles.js';

type AuthedRequest = Request & { principal?: Principal };

/** The least role a route needs, or `public`. Routes that declare nothing need `admin` (fail closed). */
export function requiredRole(
  reflector: Reflector,
  context: ExecutionContext,
  metricsPublic: boolean,
): Role | 'public' {
  const target = context.getClass();
  if (target === HealthController) {
    return context.getHandler().name === 'metrics' && !metricsPublic ? 'viewer' : 'public';
  }
  const targets = [context.getHandler(), target];
  if (reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return 'public';
  return reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? 'admin';
}

/** Global guard (APP_GUARD): every route needs a valid `Authorization: Bearer` key of a sufficient role. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    @Inject(APP_CONFIG) private readonly config: AdminApiConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const need = requiredRole(this.reflector, context, this.config.METRICS_PUBLIC);
    if (need === 'public') return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new UnauthorizedException('an API key is required: send `Authorization: Bearer <key>`');
    const principal = await this.authenticator.authenticate(token, req.ip ?? 'unknown');
    if (!principal) throw new UnauthorizedException('the API key is unknown or revoked');
    req.principal = principal;
    if (!roleAtLeast(principal.role, need)) {
      throw new ForbiddenException(
        `this route needs the ${need} role; key ${principal.keyPrefix} (${principal.name}) has ${principal.role}`,
      );
    }
    return true;
  }
}

/** The verified caller of the current request (only on routes behind a role). */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new UnauthorizedException('an API key is required');
  return principal;
});

/** The principal the AccessGuard attached to a request, if any. */
export function principalOf(req: unknown): Principal | undefined {
  return (req as AuthedRequest).principal;
}
