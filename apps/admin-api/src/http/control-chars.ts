import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { type FieldError, ValidationError } from './errors.js';
import { fieldName } from './zod.js';

/** C0 controls (U+0000–U+001F) and DEL (U+007F): refused in every text the API reads. */
const CONTROL = /[\u0000-\u001f\u007f]/; // eslint-disable-line no-control-regex -- matching them is the point
/** The same minus tab, line feed and carriage return, for free-text fields (`reason`). */
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/; // eslint-disable-line no-control-regex -- as above

/**
 * Body fields that are free text for the audit log and may hold tab and line breaks; every other text
 * (ids, names, query values, path params, object keys) refuses all C0 controls and DEL.
 */
const MULTILINE_BODY_FIELDS: ReadonlySet<string> = new Set(['reason']);

type Where = FieldError['in'];

/** `U+0000` of the first control character in `text`. */
function codePointOf(text: string, pattern: RegExp): string {
  const found = pattern.exec(text)?.[0] ?? '';
  return `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A key as it can be named in an error without repeating the control character itself. */
function printableKey(key: string): string {
  return key.replace(
    new RegExp(CONTROL.source, 'g'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Every string (value or object key) inside `value` that holds a control character, named the way the
 * client sent it (`reason`, `latencyMsByOrigin.eu-west`, `actor`). Pure; walks JSON-like values only.
 */
export function controlCharacterErrors(
  value: unknown,
  where: Where,
  path: readonly PropertyKey[] = [],
): FieldError[] {
  if (typeof value === 'string') {
    const last = path[path.length - 1];
    const multiline = where === 'body' && typeof last === 'string' && MULTILINE_BODY_FIELDS.has(last);
    const pattern = multiline ? CONTROL_EXCEPT_WHITESPACE : CONTROL;
    if (!pattern.test(value)) return [];
    const field = fieldName(path);
    return [
      {
        field: field === '' ? `(${where})` : field,
        in: where,
        message: `control character ${codePointOf(value, pattern)} is not allowed${
          multiline ? ' (only tab and line breaks are)' : ''
        }`,
      },
    ];
  }
  if (Array.isArray(value))
    return value.flatMap((item, i) => controlCharacterErrors(item, where, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    const out: FieldError[] = [];
    for (const [key, inner] of Object.entries(value)) {
      if (CONTROL.test(key)) {
        out.push({
          field: fieldName([...path, printableKey(key)]),
          in: where,
          message: `control character ${codePointOf(key, CONTROL)} is not allowed in a key`,
        });
        continue;
      }
      out.push(...controlCharacterErrors(inner, where, [...path, key]));
    }
    return out;
  }
  return [];
}

/**
 * Global pipe (APP_PIPE, runs before each route's ZodPipe): refuses control characters in every body,
 * query and path value with 400 naming the field, so no route can hand PostgreSQL a NUL (22021 → 500).
 */
@Injectable()
export class ControlCharacterPipe implements PipeTransform<unknown, unknown> {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const where: Where = metadata.type === 'query' ? 'query' : metadata.type === 'param' ? 'path' : 'body';
    const errors = controlCharacterErrors(value, where, metadata.data ? [metadata.data] : []);
    if (errors.length > 0) throw new ValidationError(errors);
    return value;
  }
}
