export * from './zone-rules.js';
export * from './local-time.js';
export { DatasetFormatError, csvFields, csvLines } from './csv.js';
export * from './prices.js';
export * from './carbon.js';
export * from './llm-traces.js';
export * from './messages.js';
export * from './files.js';
