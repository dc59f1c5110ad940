import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { HealthController } from '#gridshift/platform';
import { ADMIN_API_CONTROLLERS } from '../app.module.js';
import { requiredRole } from './access.guard.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE, roleAtLeast } from './roles.js';

const controllers = ADMIN_API_CONTROLLERS;

/** Operations of the committed OpenAPI document (`npm run openapi:check` keeps it in step with the controllers). */
const openapi = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../console/src/api/generated/openapi.json'), 'utf8'),
) as { paths: Record<string, Record<string, unknown>> };
const operations = Object.entries(openapi.paths).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
    .map((method) => `${method} ${path}`),
);

// Minimal ExecutionContext for the metadata lookup (no HTTP involved).
const contextOf = (
  target: abstract new (...args: never[]) => unknown,
  handler: (...args: never[]) => unknown,
) => ({ getClass: () => target, getHandler: () => handler }) as unknown as ExecutionContext;

describe('access rules', () => {
  it('every route of every controller declares its least role explicitly (none is public)', () => {
    const reflector = new Reflector();
    const undeclared: string[] = [];
    let routes = 0;
    for (const controller of controllers) {
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as unknown as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata('path', handler) === undefined) continue; // not a route
        routes += 1;
        const targets = [handler, controller];
        const role = reflector.getAllAndOverride<string>(REQUIRED_ROLE, targets);
        const isPublic = reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets);
        if (!role || isPublic) undeclared.push(`${controller.name}.${name}`);
      }
    }
    // every operation of the OpenAPI document except the platform's health, readiness and metrics
    expect(routes).toBe(
      operations.filter((o) => !['get /health', 'get /ready', 'get /metrics'].includes(o)).length,
    );
    expect(routes).toBeGreaterThan(40);
    expect(undeclared).toEqual([]);
  });

  it('fails closed: a route without a declaration needs admin', () => {
    @Controller('x')
    class Undeclared {
      @Get()
      open(this: void): string {
        return 'x';
      }
    }
    expect(requiredRole(new Reflector(), contextOf(Undeclared, Undeclared.prototype.open), true)).toBe(
      'admin',
    );
  });

  it('health probes are public; /metrics needs a viewer key when METRICS_PUBLIC=false', () => {
    const reflector = new Reflector();
    const proto = HealthController.prototype as unknown as Record<string, (...args: never[]) => unknown>;
    expect(requiredRole(reflector, contextOf(HealthController, proto.health!), false)).toBe('public');
    expect(requiredRole(reflector, contextOf(HealthController, proto.metrics!), true)).toBe('public');
    expect(requiredRole(reflector, contextOf(HealthController, proto.metrics!), false)).toBe('viewer');
  });

  it.each([
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    ['operator', 'viewer', true],
    ['operator', 'admin', false],
    ['admin', 'operator', true],
  ] as const)('%s may act as %s: %s', (have, need, ok) => {
    expect(roleAtLeast(have, need)).toBe(ok);
  });
});
