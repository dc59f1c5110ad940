import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { ApiRole } from '#gridshift/persistence';

export type Role = ApiRole;
export const ROLES = ['viewer', 'operator', 'admin'] as const satisfies readonly Role[];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Roles are ordered viewer < operator < admin: a role can do everything the lower ones can. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** The caller behind a verified key. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
  keyPrefix: string;
}

/** How the caller shows up in the audit log: `<key name> [<key prefix>]`. */
export function actorOf(principal: Principal): string {
  return `${principal.name} [${principal.keyPrefix}]`;
}

export const REQUIRED_ROLE = 'gridshift:required-role';
export const PUBLIC_ROUTE = 'gridshift:public-route';

/** The least role a route needs; documented in OpenAPI as `x-required-role` and bearer security. */
export function Requires(role: Role): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiBearerAuth('apiKey'),
    ApiExtension('x-required-role', role),
  );
}

/** A route anyone may call without a key (only health and docs style routes). */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(PUBLIC_ROUTE, true);
}
