export * from './bootstrap.js';
export * from './consumers.js';
export * from './health.controller.js';
export * from './nest-logger.js';
export * from './platform.module.js';
export * from './tokens.js';
export * from './topics.js';
