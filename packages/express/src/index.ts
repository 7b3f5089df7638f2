/**
 * `@ssekit/express`: Server-Sent Events for Express 5 (and 4), backed by the ssekit broker.
 *
 * @module
 */
export { type ExpressSse, type ExpressSseOptions, type ExpressStreamRequest, expressSse } from './middleware.js';
