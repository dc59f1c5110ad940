export * from './data-source.js';
export * from './types.js';
export { migrations } from './migrations/index.js';
export * from './repositories/index.js';
