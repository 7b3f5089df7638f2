/**
 * `@ssekit/fastify`: Server-Sent Events for Fastify 5, backed by the ssekit broker.
 *
 * @module
 */
import { ssePlugin } from './plugin.js';

export { type FastifySseBroker, type FastifyStreamRequest, type SsePluginOptions, ssePlugin } from './plugin.js';
export default ssePlugin;
