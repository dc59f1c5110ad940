import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Logger } from '#gridshift/observability';
import { LOGGER } from '#gridshift/platform';
import {
  BusyError,
  ConflictError,
  type FieldError,
  NotFoundError,
  TooManyAttemptsError,
  ValidationError,
} from './errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://gridshift.dev/problems/';

/** RFC 9457 problem details, the body of every error response. */
export const ProblemSchema = z
  .object({
    type: z.string().describe('Identifies the kind of problem (not meant to be dereferenced).'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('What went wrong with this request, precisely.'),
    instance: z.string().describe('The request path.'),
    errors: z
      .array(
        z.object({
          field: z.string().describe('Field as sent: `gpuTotal`, `points[2].price`, `limit`, `id`.'),
          in: z.enum(['body', 'query', 'path']),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Every invalid input (validation problems and unknown references).'),
  })
  .meta({
    example: {
      type: `${TYPE_BASE}validation`,
      title: 'Invalid request',
      status: 400,
      detail: 'body gpuTotal: Too small: expected number to be >=0',
      instance: '/clusters',
      errors: [{ field: 'gpuTotal', in: 'body', message: 'Too small: expected number to be >=0' }],
    },
  });
export type Problem = z.infer<typeof ProblemSchema>;

/** Errors of libs/scheduling, recognised by name so this file does not depend on its load order. */
const SCHEDULING_NOT_FOUND = new Set(['ScheduleNotFoundError', 'PlanRequestNotFoundError']);
const SCHEDULING_CONFLICT = new Set(['InvalidScheduleTransitionError', 'NothingToPlanError']);
const SCHEDULING_INVALID = new Set(['InvalidScenarioError', 'InvalidWhatIfScenarioError']);

function slug(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z]+/g, '-');
}

/** The body-parser error inside `value` (it sets `status` and a `type` like `entity.parse.failed`), if any. */
function bodyParserError(value: unknown): { status: number; type: string; message: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500 || typeof e.type !== 'string')
    return undefined;
  if (!e.type.startsWith('entity.') && !e.type.startsWith('charset.') && !e.type.startsWith('encoding.'))
    return undefined;
  return { status: e.status, type: e.type, message: String(e.message) };
}

/** Maps any thrown value to a problem document (pure; the filter writes it). */
export function toProblem(error: unknown, instance: string): Problem & { headers?: Record<string, string> } {
  const base = (status: number, type: string, detail: string, errors?: FieldError[]) => ({
    type: `${TYPE_BASE}${type}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance,
    ...(errors ? { errors } : {}),
  });
  if (error instanceof ValidationError) {
    return { ...base(400, 'validation', error.message, error.errors), title: 'Invalid request' };
  }
  if (error instanceof NotFoundError) {
    const errors = error.field
      ? [{ field: error.field.name, in: error.field.in, message: error.message }]
      : undefined;
    return base(404, 'not-found', error.message, errors);
  }
  if (error instanceof ConflictError) {
    const errors = error.field
      ? [{ field: error.field.name, in: error.field.in, message: error.message }]
      : undefined;
    return base(409, 'conflict', error.message, errors);
  }
  if (error instanceof TooManyAttemptsError || error instanceof BusyError) {
    return {
      ...base(429, 'too-many-requests', error.message),
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
    };
  }
  if (error instanceof Error && SCHEDULING_NOT_FOUND.has(error.name)) {
    return base(404, 'not-found', error.message);
  }
  if (error instanceof Error && SCHEDULING_CONFLICT.has(error.name)) {
    return base(409, 'invalid-transition', error.message);
  }
  if (error instanceof Error && SCHEDULING_INVALID.has(error.name)) {
    return {
      ...base(400, 'validation', error.message, [{ field: 'scenario', in: 'body', message: error.message }]),
      title: 'Invalid request',
    };
  }
  // body-parser (express.json) errors — malformed JSON, too large, bad charset — arrive wrapped by Nest.
  const parser = bodyParserError(error instanceof HttpException ? error.cause : error);
  if (parser) {
    const detail =
      parser.type === 'entity.parse.failed'
        ? `malformed JSON body: ${parser.message}`
        : parser.type === 'entity.too.large'
          ? 'request body is larger than BODY_LIMIT_KB'
          : parser.message;
    const problem = base(parser.status, parser.status === 400 ? 'validation' : slug(parser.status), detail, [
      { field: '(body)', in: 'body', message: detail },
    ]);
    return parser.status === 400 ? { ...problem, title: 'Invalid request' } : problem;
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : typeof (response as { message?: unknown }).message === 'string'
          ? (response as { message: string }).message
          : error.message;
    const detail =
      status === 404 && message.startsWith('Cannot ')
        ? `no route ${message.slice('Cannot '.length)}`
        : message;
    const problem = base(status, slug(status), detail);
    if (status === 401) return { ...problem, headers: { 'WWW-Authenticate': 'Bearer' } };
    return problem;
  }
  return base(500, 'internal', 'unexpected error; the server log has the details');
}

/** Writes every error as `application/problem+json` (global filter). */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { headers, ...problem } = toProblem(error, req.originalUrl.split('?')[0] ?? req.originalUrl);
    if (problem.status >= 500) this.logger.error({ err: error, path: req.originalUrl }, 'request failed');
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}
