/**
 * @gridshift/forecast — pure hourly price forecasts with p10/p50/p90 bands, from history alone, and the
 * rolling-origin harness that evaluates them. No Nest, no IO, no clock. See README.md.
 */
export * from './forecast.js';
export * from './evaluate.js';
