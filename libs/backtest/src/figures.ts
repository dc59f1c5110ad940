import { savingsAgainst, type Savings, type ScheduleTotals } from '#gridshift/placement';

export { savingsAgainst };
export type { Savings };

/** Cost, energy, carbon and token figures of a schedule over some period. Costs in the fleet's currency. */
export interface Figures {
  energyMwh: number;
  energyCost: number;
  carbonTonnes: number;
  carbonCost: number;
  /** Unserved GPU-hours × their tier penalty. */
  penaltyCost: number;
  /** energyCost + carbonCost + penaltyCost: what the optimiser minimises and savings compare. */
  totalCost: number;
  servedGpuHours: number;
  unservedGpuHours: number;
  tokensMillions: number;
  /** Energy + carbon cost of the work that produced `tokensMillions`. */
  tokenCost: number;
}

/** All-zero figures. */
export function zeroFigures(): Figures {
  return {
    energyMwh: 0,
    energyCost: 0,
    carbonTonnes: 0,
    carbonCost: 0,
    penaltyCost: 0,
    totalCost: 0,
    servedGpuHours: 0,
    unservedGpuHours: 0,
    tokensMillions: 0,
    tokenCost: 0,
  };
}

/** Field-by-field sum. */
export function addFigures(a: Figures, b: Figures): Figures {
  return {
    energyMwh: a.energyMwh + b.energyMwh,
    energyCost: a.energyCost + b.energyCost,
    carbonTonnes: a.carbonTonnes + b.carbonTonnes,
    carbonCost: a.carbonCost + b.carbonCost,
    penaltyCost: a.penaltyCost + b.penaltyCost,
    totalCost: a.totalCost + b.totalCost,
    servedGpuHours: a.servedGpuHours + b.servedGpuHours,
    unservedGpuHours: a.unservedGpuHours + b.unservedGpuHours,
    tokensMillions: a.tokensMillions + b.tokensMillions,
    tokenCost: a.tokenCost + b.tokenCost,
  };
}

/** Figures of a placement-engine schedule (its stability cost, unused here, is left out). */
export function figuresOf(totals: ScheduleTotals): Figures {
  const tokensMillions = totals.tokensMillions ?? 0;
  return {
    energyMwh: totals.energyMwh,
    energyCost: totals.energyCost,
    carbonTonnes: totals.carbonTonnes,
    carbonCost: totals.carbonCost,
    penaltyCost: totals.penaltyCost,
    totalCost: totals.energyCost + totals.carbonCost + totals.penaltyCost,
    servedGpuHours: totals.servedGpuHours,
    unservedGpuHours: totals.unservedGpuHours,
    tokensMillions,
    tokenCost: (totals.costPerMillionTokens ?? 0) * tokensMillions,
  };
}

/** Energy + carbon cost per million tokens; null when no tokens were produced. */
export function costPerMillionTokens(f: Figures): number | null {
  return f.tokensMillions > 0 ? f.tokenCost / f.tokensMillions : null;
}

/** Headline comparisons of a run's totals (or one day's). */
export interface Comparison {
  /** gridshift's plan against each baseline (same work; null amounts when a baseline serves less). */
  vsHome: Savings;
  vsGreedy: Savings;
  /** The perfect-foresight optimum against home: the most any plan could save. */
  perfectVsHome: Savings;
  /** Share of the perfect-foresight saving vs home that gridshift's plan captures; null when not comparable. */
  captureVsHome: number | null;
}

/** Savings of the plan and of the perfect-foresight optimum against the baselines, and the capture share. */
export function compare(p: {
  optimal: Figures;
  perfect: Figures;
  home: Figures;
  greedy: Figures;
}): Comparison {
  const vsHome = savingsAgainst(p.home, p.optimal);
  const perfectVsHome = savingsAgainst(p.home, p.perfect);
  const captureVsHome =
    vsHome.amount !== null && perfectVsHome.amount !== null && perfectVsHome.amount > 0
      ? vsHome.amount / perfectVsHome.amount
      : null;
  return { vsHome, vsGreedy: savingsAgainst(p.greedy, p.optimal), perfectVsHome, captureVsHome };
}
