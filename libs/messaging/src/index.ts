export * from './complete-send.js';
export * from './compression.js';
export * from './consumer-runner.js';
export * from './errors.js';
export * from './kafka.js';
export * from './producer.js';
export { installRequestQueueFix } from './request-queue-fix.js';
export * from './topics.js';
export * from './dlq-replay.js';
