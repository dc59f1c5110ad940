export * from './messages.js';
export * from './replay.js';
