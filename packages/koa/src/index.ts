/**
 * `@ssekit/koa`: Server-Sent Events for Koa 3 (and 2), backed by the ssekit broker.
 *
 * @module
 */
export { type KoaSse, type KoaSseOptions, type KoaStreamRequest, koaSse } from './middleware.js';
