/**
 * `@ssekit/hono`: Server-Sent Events for Hono on Node, Bun, Deno and Workers, backed by the
 * ssekit broker.
 *
 * @module
 */
export { type HonoStreamRequest, type StreamEventsOptions, streamEvents } from './stream-events.js';
