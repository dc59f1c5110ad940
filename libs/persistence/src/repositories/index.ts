export * from './load.repository.js';
export * from './price.repository.js';
export * from './audit.repository.js';
export * from './registration.repository.js';
export * from './grid-event.repository.js';
export * from './planning-inputs.repository.js';
export * from './exchange-rate.repository.js';
