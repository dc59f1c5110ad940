/**
 * @gridshift/backtest — rolling-horizon backtests of a fleet and its jobs over historical prices: the pure
 * loop (`runBacktest`), market building, report/CSV/SVG writers, and a thin file runner. See README.md.
 */
export * from './errors.js';
export * from './figures.js';
export * from './market.js';
export * from './rolling.js';
export * from './publication.js';
export * from './workers.js';
export * from './csv.js';
export * from './svg.js';
export * from './charts.js';
export * from './report.js';
export * from './progress.js';
export * from './runner.js';
export * from './fx.js';
