export * from './constants.js';
export * from './schemas.js';
export * from './dead-letter.js';
export * from './fx.js';
export * from './time.js';
export * from './decode.js';
export { acceptPriceMessage, acceptedTimestampMs } from './fast-price.js';
export * from './normalize.js';
export { renderContractDocs, topicJsonSchema } from './docs.js';
