/**
 * `@ssekit/nats`: a NATS JetStream transport for the ssekit broker. Several Node processes share
 * one stream: an event published on any of them reaches the clients of all of them, and a client
 * that reconnects to another node with `Last-Event-ID` is replayed what it missed.
 *
 * @module
 */
export { createNatsTransport } from './nats-transport.js';
export type { NatsTransportOptions } from './options.js';
