/**
 * What `SseModule.forRoot()` and `SseModule.forRootAsync()` take.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DynamicModule, FactoryProvider, ForwardReference, Type } from '@nestjs/common';
import type { AdmissionRequest, Broker, BrokerOptions, RegisteredEvents, RegisteredPrincipal } from '@ssekit/core';

/**
 * The request Nest hands to guards and handlers, on either platform: Express's `req` or
 * Fastify's `request`. What a guard put on it (`request.user`) is there too.
 */
export interface NestRequest {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  readonly method: string;
  readonly [key: string]: unknown;
}

/**
 * What the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive: `request.raw` is
 * the {@link NestRequest} (`request.raw.user`, set by a guard, for example).
 */
export type NestStreamRequest = AdmissionRequest<NestRequest>;

/** Any broker when no events are registered; one of the registered events when they are. */
// biome-ignore lint/suspicious/noExplicitAny: whatever its principal and topics (and events, when none are registered)
type BrokerOption = string extends keyof RegisteredEvents ? Broker<any, any, any> : Broker<RegisteredEvents, any, any>;

/**
 * Options of `SseModule.forRoot()`: a broker to use, or options to create one (not both), and
 * how the module shuts it down.
 */
export interface SseModuleOptions extends BrokerOptions<RegisteredPrincipal, NestRequest> {
  /**
   * The broker to stream from; one is created from the other options when omitted. Its events
   * must be the ones registered in `Register`.
   */
  broker?: BrokerOption;
  /**
   * Close the broker when the application shuts down (`app.close()`, or a signal with
   * `app.enableShutdownHooks()`): in `beforeApplicationShutdown`, so every stream gets what it was
   * sent and ends before Nest closes the HTTP server, which would otherwise wait on open streams.
   * @default true
   */
  closeOnShutdown?: boolean;
  /**
   * Milliseconds the HTTP server gets to close once the broker has closed; any connection still
   * open then is dropped. Node's own close waits forever on a socket that connected but never sent
   * a request (`fetch` leaves one after each aborted stream), and on any HTTP/2 session (those are
   * asked to close, gracefully, as soon as the broker has closed). `false` leaves the rest to
   * Nest's `forceCloseConnections`. Applies with `closeOnShutdown`.
   * @default 1_000
   */
  forceCloseAfter?: number | false;
}

/**
 * Options of `SseModule.forRootAsync()`: a factory for {@link SseModuleOptions}, the providers it
 * takes and the modules that export them.
 *
 * @example
 * ```ts fragment
 * SseModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ heartbeatInterval: config.get('SSE_HEARTBEAT') }),
 * });
 * ```
 */
export interface SseModuleAsyncOptions {
  /** Modules that export the providers `inject` lists. */
  imports?: (Type | DynamicModule | Promise<DynamicModule> | ForwardReference)[];
  /** The providers passed to `useFactory`, in order. */
  inject?: FactoryProvider['inject'];
  /** Returns the module's options (or a promise of them). */
  // biome-ignore lint/suspicious/noExplicitAny: the injected providers, whatever their types
  useFactory: (...args: any[]) => SseModuleOptions | Promise<SseModuleOptions>;
}
