import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AdminApiConfig } from '../config.js';
import { setupDocs } from './openapi.js';

/** Where Swagger UI is served (its HTML, scripts and styles); `/docs-json` is plain JSON like the API. */
const DOCS_UI = /^\/docs(\/|$)/;

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

/** Security headers of every response: the strict JSON policy, or the docs policy under /docs. */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  (DOCS_UI.test(req.path) ? docsHeaders : apiHeaders)(req, res, next);
}

/**
 * HTTP settings of the admin API: security headers, trusted proxy hops (the client address rate limits
 * use), JSON body limit, no `x-powered-by`, docs.
 */
export function configureHttp(
  app: INestApplication,
  config: Pick<AdminApiConfig, 'BODY_LIMIT_KB' | 'TRUST_PROXY'>,
): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', config.TRUST_PROXY);
  // Before the docs and the routes are registered, so every response carries the headers (errors too).
  express.use(securityHeaders);
  express.useBodyParser('json', { limit: `${config.BODY_LIMIT_KB}kb` });
  express.disable('x-powered-by');
  setupDocs(app);
}
