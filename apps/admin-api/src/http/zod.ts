import { type ArgumentMetadata, applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { type FieldError, ValidationError } from './errors.js';

type Where = FieldError['in'];
type JsonSchema = Record<string, unknown>;

/** `['points', 2, 'price']` → `points[2].price` (how a client finds the field in what it sent). */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Zod issues → one FieldError per invalid field (unknown keys are named one by one). */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], where: Where): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ field: fieldName([...issue.path, key]), in: where, message: 'unknown field' });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that came closest (fewest issues) instead of a bare "invalid input".
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (closest.length > 0) {
        const nested = closest.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
        out.push(...fieldErrors(nested, where));
        continue;
      }
    }
    const field = fieldName(issue.path);
    out.push({ field: field === '' ? `(${where})` : field, in: where, message: issue.message });
  }
  return out;
}

/** Parses `value` with `schema` or throws a ValidationError naming each invalid field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: Where): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(fieldErrors(result.error.issues, where));
  return result.data;
}

/** A Nest pipe validating one argument (`@Body`, `@Query`, `@Param`) with a zod schema. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<S> {
    const where: Where = metadata.type === 'query' ? 'query' : metadata.type === 'param' ? 'path' : 'body';
    // Body: Nest hands over `{}` for an empty body; a missing body then fails on its required fields.
    if (metadata.type === 'param' && metadata.data) {
      return parseInput(z.object({ [metadata.data]: this.schema }), { [metadata.data]: value }, where)[
        metadata.data
      ] as z.output<S>;
    }
    return parseInput(this.schema, value ?? {}, where);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAPI: the zod schemas that validate requests are also the documented schemas (one source).

const components = new Map<string, JsonSchema>();

/** JSON Schema (OpenAPI 3.0 dialect) of a zod schema, as a client sends it (`input`) or receives it (`output`). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      // The generated RFC 3339 regex is unreadable in Swagger UI; `format: date-time` says the same.
      const js = ctx.jsonSchema;
      if (js.format === 'date-time') delete js.pattern;
    },
  });
}

/** Registers a named component schema and returns a `$ref` to it. */
export function componentRef(name: string, schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  if (!components.has(name)) components.set(name, jsonSchemaOf(schema, io));
  return { $ref: `#/components/schemas/${name}` };
}

/** Every component registered by the decorators below (merged into the OpenAPI document). */
export function registeredComponents(): Record<string, JsonSchema> {
  return Object.fromEntries(components);
}

/** Documents a JSON request body with the same zod schema the ZodPipe validates. */
export function ApiZodBody(name: string, schema: z.ZodType, description?: string): MethodDecorator {
  return ApiBody({ schema: componentRef(name, schema, 'input'), description, required: true });
}

/** Documents each query parameter of a zod object schema. */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const decorators = Object.entries(schema.shape).map(([name, field]) => {
    const js = jsonSchemaOf(field as z.ZodType, 'input');
    const { description, ...rest } = js;
    return ApiQuery({
      name,
      required: !(field as z.ZodType).safeParse(undefined).success,
      schema: rest,
      description: typeof description === 'string' ? description : undefined,
    });
  });
  return applyDecorators(...decorators);
}

/** Documents a JSON response with a zod schema (the handler's return type is inferred from the same schema). */
export function ApiZodResponse(
  status: number,
  name: string,
  schema: z.ZodType,
  description: string,
): MethodDecorator {
  return ApiResponse({ status, description, schema: componentRef(name, schema, 'output') });
}

/** Documents problem+json error responses a route can give besides the global 401/403/429. */
export function ApiProblems(...responses: [status: number, description: string][]): MethodDecorator {
  return applyDecorators(
    ...responses.map(([status, description]) =>
      ApiResponse({
        status,
        description,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      }),
    ),
  );
}
