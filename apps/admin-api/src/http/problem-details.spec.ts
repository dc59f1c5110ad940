import { BadRequestException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { toProblem } from './problem-details.js';
import { fieldErrors, fieldName } from './zod.js';

describe('fieldName', () => {
  it.each([
    { path: ['gpuTotal'], want: 'gpuTotal' },
    { path: ['points', 2, 'price'], want: 'points[2].price' },
    { path: ['latencyMsByOrigin', 'eu-west'], want: 'latencyMsByOrigin.eu-west' },
    { path: [], want: '' },
  ])('$path → $want', ({ path, want }) => expect(fieldName(path)).toBe(want));
});

describe('fieldErrors', () => {
  it('names every invalid and unknown field', () => {
    const schema = z.strictObject({ a: z.number().min(1), b: z.array(z.string()) });
    const result = schema.safeParse({ a: 0, b: ['x', 2], c: true });
    expect(result.success).toBe(false);
    const errors = fieldErrors(result.error!.issues, 'body');
    expect(errors.map((e) => e.field).sort()).toEqual(['a', 'b[1]', 'c']);
    expect(errors.find((e) => e.field === 'c')?.message).toBe('unknown field');
  });

  it('reports the closest branch of a union instead of "invalid input"', () => {
    const schema = z.object({ v: z.union([z.object({ kind: z.literal('x'), n: z.number() }), z.string()]) });
    const result = schema.safeParse({ v: { kind: 'x', n: 'no' } });
    expect(fieldErrors(result.error!.issues, 'body').map((e) => e.field)).toEqual(['v.n']);
  });
});

describe('toProblem', () => {
  it.each([
    {
      name: 'validation',
      error: new ValidationError([{ field: 'pue', in: 'body', message: 'too small' }]),
      want: {
        status: 400,
        title: 'Invalid request',
        errors: [{ field: 'pue', in: 'body', message: 'too small' }],
      },
    },
    {
      name: 'unknown id',
      error: new NotFoundError('cluster', 'x', { name: 'clusterId', in: 'body' }),
      want: {
        status: 404,
        detail: 'cluster "x" does not exist',
        errors: [{ field: 'clusterId', in: 'body', message: 'cluster "x" does not exist' }],
      },
    },
    { name: 'conflict', error: new ConflictError('taken'), want: { status: 409, detail: 'taken' } },
    {
      name: 'forbidden',
      error: new ForbiddenException('needs admin'),
      want: { status: 403, detail: 'needs admin' },
    },
    {
      name: 'no route',
      error: new NotFoundException('Cannot GET /x'),
      want: { status: 404, detail: 'no route GET /x' },
    },
    {
      name: 'malformed JSON from body-parser',
      error: new BadRequestException('Unexpected end', {
        cause: Object.assign(new SyntaxError('Unexpected end'), { status: 400, type: 'entity.parse.failed' }),
      }),
      want: {
        status: 400,
        detail: 'malformed JSON body: Unexpected end',
        errors: [{ field: '(body)', in: 'body', message: 'malformed JSON body: Unexpected end' }],
      },
    },
    {
      name: 'a scheduling transition error (by name)',
      error: Object.assign(new Error('cannot go from published to approved'), {
        name: 'InvalidScheduleTransitionError',
      }),
      want: { status: 409, type: 'https://gridshift.dev/problems/invalid-transition' },
    },
    {
      name: 'anything else',
      error: new Error('secret detail'),
      want: { status: 500, detail: 'unexpected error; the server log has the details' },
    },
  ])('$name', ({ error, want }) => {
    const problem = toProblem(error, '/x');
    expect(problem).toMatchObject({ instance: '/x', ...want });
    expect(problem.type).toMatch(/^https:\/\/gridshift\.dev\/problems\//);
  });
});
