import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line problem: printed as one line with the usage, exit code 2. */
export class UsageError extends Error {}

/** Parses `argv` strictly (unknown flags are errors) and exits 2 with the usage on a mistake. */
export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(
  usage: string,
  options: T,
  argv = process.argv.slice(2),
) {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    if ((parsed.values as Record<string, unknown>).help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return parsed.values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
    process.exit(2);
  }
}

/** Runs `main`, printing a UsageError or any failure as one line; exit 2 for usage, 1 otherwise. */
export function runCli(usage: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

/** `--speed`: a positive number of simulated seconds per real second, or `max`. */
export function parseSpeed(value: string | undefined): number {
  if (value === undefined || value === 'max') return Number.POSITIVE_INFINITY;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--speed must be a positive number or "max", got ${value}`);
  return n;
}

/** A UTC day or instant (`2023-03-01` or ISO with offset/Z) as epoch ms. */
export function parseUtc(flag: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(iso))
    throw new UsageError(`${flag} needs a date or an ISO time with offset, got ${value}`);
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} is not a valid date: ${value}`);
  return ms;
}
