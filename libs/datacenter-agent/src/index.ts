/**
 * @gridshift/datacenter-agent — a reference data-center agent: consumes placement orders, applies them to a
 * simulated cluster, acknowledges them and reports realized usage. Importable by data centers writing their own.
 */
export * from './agent.js';
export * from './behaviour.js';
export * from './state.js';
