export * from './load.repository.js';
export * from './price.repository.js';
export * from './audit.repository.js';
export * from './registration.repository.js';
export * from './delivery.repository.js';
export * from './usage.repository.js';
