/** A CSV problem with the 1-based line number it occurred on. */
export class DatasetFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'DatasetFormatError';
  }
}

/** Lines of a CSV text (LF or CRLF; a BOM and a missing final newline are fine), blank trailing lines dropped. */
export function csvLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

/** Fields of one CSV line; supports double-quoted fields with "" escapes. */
export function csvFields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** A finite number from a CSV field, or a DatasetFormatError naming the line and column. */
export function csvNumber(value: string | undefined, line: number, column: string): number {
  const n = value === undefined || value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n))
    throw new DatasetFormatError(line, `${column}: not a number: ${JSON.stringify(value)}`);
  return n;
}

/** `YYYY-MM-DD HH:MM:SS` plus an optional fraction and offset, split into fields. */
export const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
