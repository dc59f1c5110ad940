import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AdminApiConfig } from '../config.js';
import { setupDocs } from './openapi.js';

/** Where Swagger UI is served (its HTML, scripts and styles); `/docs-json` is plain JSON like the API. */
const DOCS_UI = /^\/docs(\/|$)/;

/** Where the operator console (apps/console, static files) is served. */
const CONSOLE_UI = /^\/console(\/|$)/;

/** Headers common to both policies: nosniff, no framing, no referrer, same-origin resources (helmet's defaults). */
const common = { frameguard: { action: 'deny' as const }, xPoweredBy: false as const };

/** The JSON API renders nothing: no source of anything, no framing, no forms. */
const apiHeaders = helmet({
  ...common,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
  },
});

/**
 * Swagger UI (@nestjs/swagger): its HTML loads swagger-ui-bundle.js, the preset and swagger-ui-init.js from
 * /docs itself — no inline script, so scripts stay `'self'` only. It does use inline `<style>` blocks and
 * React `style` attributes (`'unsafe-inline'` for styles only), data: images in its CSS, and fetches the
 * API for "Try it out" (`connect-src 'self'`).
 */
const docsHeaders = helmet({
  ...common,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
  },
});

/**
 * The operator console (apps/console, built by Vite): scripts, styles and fonts from /console only — no
 * inline script or style (React and ECharts set styles through the CSSOM, which CSP allows) —, data: images
 * (ECharts' "save as image"), and API calls to this origin.
 */
const consoleHeaders = helmet({
  ...common,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
  },
});

/** Security headers of every response: the strict JSON policy, or the docs / console policy under theirs. */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  const policy = DOCS_UI.test(req.path)
    ? docsHeaders
    : CONSOLE_UI.test(req.path)
      ? consoleHeaders
      : apiHeaders;
  policy(req, res, next);
}

/** apps/console/dist of this checkout, whether the API runs from sources or from dist/. */
export function defaultConsoleDir(): string {
  const root = fileURLToPath(new URL('../../../..', import.meta.url)).replace(/\/dist\/?$/, '/');
  return join(root, 'apps', 'console', 'dist');
}

/**
 * Serves the built console at /console (public static files, like /docs: every API call it makes needs a
 * key). index.html is never cached (it names the hashed assets); the hashed assets are immutable. When the
 * console is not built, /console answers a 404 problem saying how to build it.
 */
function serveConsole(app: NestExpressApplication, dir: string): void {
  const index = join(dir, 'index.html');
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!CONSOLE_UI.test(req.path)) return next();
    if (existsSync(index)) return next();
    res
      .status(404)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: 'the console is not built: run `npm run console:build`',
          instance: req.path,
        }),
      );
  });
  app.useStaticAssets(join(dir, 'assets'), {
    prefix: '/console/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
    fallthrough: false,
  });
  app.useStaticAssets(dir, {
    prefix: '/console/',
    index: 'index.html',
    redirect: true,
    setHeaders: (res: ServerResponse) => res.setHeader('cache-control', 'no-cache'),
  });
}

/**
 * HTTP settings of the admin API: security headers, trusted proxy hops (the client address rate limits
 * use), JSON body limit, no `x-powered-by`, docs.
 */
export function configureHttp(
  app: INestApplication,
  config: Pick<AdminApiConfig, 'BODY_LIMIT_KB' | 'TRUST_PROXY'> &
    Partial<Pick<AdminApiConfig, 'CONSOLE_DIR'>>,
): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', config.TRUST_PROXY);
  // Before the docs and the routes are registered, so every response carries the headers (errors too).
  express.use(securityHeaders);
  express.useBodyParser('json', { limit: `${config.BODY_LIMIT_KB}kb` });
  express.disable('x-powered-by');
  setupDocs(app);
  serveConsole(express, config.CONSOLE_DIR ?? defaultConsoleDir());
}
