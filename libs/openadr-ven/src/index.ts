/**
 * @gridshift/openadr-ven — an OpenADR 3 VEN that polls a VTN's events and publishes them as gridshift grid events
 * (`gridshift.grid-events.v1`). `npm run openadr:ven` runs it; `OpenAdrVen` and `mapOpenAdrEvent` are importable.
 */
export * from './openadr.js';
export * from './mapping.js';
export * from './ven.js';
