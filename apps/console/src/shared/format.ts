/** Number formatting shared by every page: one place decides how money, energy and time read. */

// One formatter per number of digits, made once: creating an Intl.NumberFormat costs far more than using
// one (the schedule page formats a few hundred numbers; the first formatter also loads the locale data).
const formatters = new Map<number, Intl.NumberFormat>();
const nf = (digits: number) => {
  let f = formatters.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
    formatters.set(digits, f);
  }
  return f;
};

/** `EUR 1,234` (no decimals above 100, two below); `—` when unknown. */
export function money(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  const digits = Math.abs(amount) >= 100 ? 0 : 2;
  const rounded = Number(amount.toFixed(digits)) === 0 ? 0 : amount; // no "-0"
  return `${currency ?? ''} ${nf(digits).format(rounded)}`.trim();
}

/** A plain number with at most `digits` decimals; `—` when unknown. */
export function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return nf(digits).format(Number(value.toFixed(digits)) === 0 ? 0 : value);
}

/** A percentage from a value that already is one (`12.3 %`); `—` when unknown. */
export function pct(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${num(value, digits)} %`;
}

/** `2023-03-15 14:00 UTC` — every time in the console is UTC, as the API stores it. */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The hour of a slot start, `14:00`. */
export function hourOf(iso: string): string {
  return new Date(iso).toISOString().slice(11, 16);
}

/** Minutes as `45 min`, `3 h`, `2 d 4 h`. */
export function age(minutes: number): string {
  if (minutes < 90) return `${Math.round(minutes)} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
