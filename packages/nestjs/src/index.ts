/**
 * `@ssekit/nestjs`: Server-Sent Events for NestJS on Express and Fastify, backed by the ssekit
 * broker. `SseModule.forRoot()` provides the broker, `@EventStream()` turns a controller method
 * into a stream route that opens only once guards, pipes and the method have run.
 *
 * @module
 */
export { InjectBroker, SseBroker } from './broker-token.js';
export { EventStream } from './event-stream.js';
export type { NestRequest, NestStreamRequest, SseModuleAsyncOptions, SseModuleOptions } from './options.js';
export { SseRefusedException } from './refusal.js';
export { SseModule } from './sse-module.js';
export type { EventStreamInit, EventStreamResult, EventStreamSource, SseConnection } from './stream-result.js';
