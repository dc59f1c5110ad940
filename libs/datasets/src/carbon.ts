import { msToUtcIso } from '#gridshift/contracts';
import { csvFields, csvLines, csvNumber, DatasetFormatError, DATETIME } from './csv.js';

/** The Electricity Maps portal header, verbatim. */
export const CARBON_HEADER =
  'Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,Data Source,Data Estimated,Data Estimation Method';

/** One hour of grid carbon intensity (consumption-based, flow-traced). */
export interface CarbonPoint {
  /** Hour start, canonical UTC ISO. */
  intervalStartUtc: string;
  /** Direct (operational) emissions, gCO2eq/kWh — what a $/tCO2 price applies to. */
  carbonDirectGPerKwh: number;
  /** Life-cycle emissions, gCO2eq/kWh (Electricity Maps' headline figure). */
  carbonLcaGPerKwh: number;
  lowCarbonPercent: number | null;
  renewablePercent: number | null;
  /** True when Electricity Maps estimated the hour instead of measuring it. */
  estimated: boolean;
}

export interface CarbonSeries {
  /** `Zone Id` column, e.g. `DE` for the DE-LU file. */
  zoneId: string;
  zoneName: string;
  /** Sorted by intervalStartUtc, one per hour. */
  points: CarbonPoint[];
}

function optionalNumber(value: string | undefined, line: number, column: string): number | null {
  return value === undefined || value.trim() === '' ? null : csvNumber(value, line, column);
}

/** Parses an Electricity Maps hourly CSV (UTC, CRLF) into sorted points; throws on a foreign header or mixed zones. */
export function parseCarbonCsv(text: string): CarbonSeries {
  const lines = csvLines(text);
  if (lines[0] !== CARBON_HEADER)
    throw new DatasetFormatError(1, `not an Electricity Maps hourly CSV header`);
  let zoneId: string | null = null;
  let zoneName = '';
  const byInstant = new Map<number, CarbonPoint>();
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const f = csvFields(lines[i] ?? '');
    if (f.length !== 11) throw new DatasetFormatError(line, `expected 11 fields, got ${f.length}`);
    const match = DATETIME.exec(f[0] ?? '');
    if (match === null || match[7] !== undefined || match[8] !== undefined) {
      throw new DatasetFormatError(line, `bad Datetime (UTC) ${JSON.stringify(f[0])}`);
    }
    const rowZone = f[3] ?? '';
    if (zoneId === null) {
      zoneId = rowZone;
      zoneName = f[2] ?? '';
    } else if (rowZone !== zoneId) throw new DatasetFormatError(line, `zone ${rowZone} in a ${zoneId} file`);
    const utcMs = Date.UTC(
      Number(match[1]),
      Number(match[2]) - 1,
      Number(match[3]),
      Number(match[4]),
      Number(match[5]),
      Number(match[6]),
    );
    if (byInstant.has(utcMs)) throw new DatasetFormatError(line, `duplicate hour ${f[0]}`);
    byInstant.set(utcMs, {
      intervalStartUtc: msToUtcIso(utcMs),
      carbonDirectGPerKwh: csvNumber(f[4], line, 'Carbon Intensity (direct)'),
      carbonLcaGPerKwh: csvNumber(f[5], line, 'Carbon Intensity (LCA)'),
      lowCarbonPercent: optionalNumber(f[6], line, 'Low Carbon Percentage'),
      renewablePercent: optionalNumber(f[7], line, 'Renewable Percentage'),
      estimated: f[9] === 'true',
    });
  }
  const points = [...byInstant.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  return { zoneId: zoneId ?? '', zoneName, points };
}
