export * from './files.js';
export * from './inputs.js';
export * from './trace-profiles.js';
export * from './validate-fleet-jobs.js';
