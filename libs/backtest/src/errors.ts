/** A backtest input (argument, file, data coverage) that cannot be used; the CLI prints it and exits 2. */
export class BacktestInputError extends Error {
  override readonly name = 'BacktestInputError';
}
