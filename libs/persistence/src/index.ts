export * from './data-source.js';
export * from './entities/index.js';
export { migrations } from './migrations/index.js';
export * from './repositories/index.js';
