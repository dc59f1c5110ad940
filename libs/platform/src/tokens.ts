/** Injection tokens shared by every app. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const METRICS = Symbol('METRICS');
export const KAFKA = Symbol('KAFKA');
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export const CONSUMERS = Symbol('CONSUMERS');
