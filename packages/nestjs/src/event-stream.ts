/**
 * `@EventStream()`: a controller method whose result opens an ssekit stream, once guards,
 * interceptors, pipes and the method itself have run.
 */
import { Req, Res, UseInterceptors } from '@nestjs/common';
import { notAcceptable, type RegisteredTopics, refusalOf, type StreamOptions } from '@ssekit/core';
import { toStreamRequest } from '@ssekit/core/node';
import { brokerFor, EventStreamInterceptor } from './broker-interceptor.js';
import type { NestRequest } from './options.js';
import { nodeRequest, openSink, type PlatformRequest, type PlatformResponse } from './platform.js';
import { refusedException } from './refusal.js';
import { type EventStreamResult, streamArguments } from './stream-result.js';

/**
 * Where `@Req()`/`@Res()` store route parameters, keyed `<type>:<index>` (`ROUTE_ARGS_METADATA`),
 * and the types of `@Res()` and `@Next()` (`RouteParamtypes`, internal to Nest): stable since Nest 4.
 */
const ROUTE_ARGS_METADATA = '__routeArguments__';
const RESPONSE_OR_NEXT = /^[12]:/;

// biome-ignore lint/suspicious/noExplicitAny: any parameters, and items of any type (the method's own `map` takes them)
type Handler = (...args: any[]) => EventStreamResult<any> | Promise<EventStreamResult<any>>;

/**
 * Turns a controller method into an event stream route, on `@nestjs/platform-express` and
 * `@nestjs/platform-fastify` alike. Unlike Nest's `@Sse()`, nothing is sent before the method
 * returns: guards, interceptors, pipes and the method run first, and an `HttpException` they throw
 * is an HTTP error answered by your exception filters, not an event on an open stream
 * (nestjs/nest#12670). A client whose `Accept` header refuses `text/event-stream` gets 406 before
 * the method runs. The broker's refusals (401/403 from `authorize`, 429/503 from the limits, with
 * `Retry-After`) are thrown as an {@link SseRefusedException} for the same filters.
 *
 * The method returns (or resolves to) what to stream: nothing (the stream gets what
 * `broker.publish()` sends to its topics), a source (an RxJS `Observable`, an async generator, a
 * `ReadableStream`: piped, then the stream ends), or an {@link EventStreamInit} with stream
 * options, a source and an `onOpen(connection)` callback. What it returns wins over `defaults`.
 *
 * The response belongs to the stream: Nest sends nothing of its own, and the method gets no
 * `@Res()` of its own to write to.
 *
 * @param defaults - stream options for every request of the route (topics, client key, retry hint).
 * @throws TypeError where the class is declared, when the method has a `@Res()` or `@Next()` parameter.
 * @example
 * ```ts fragment
 * @Controller()
 * class EventsController {
 *   @Get('events')
 *   @UseGuards(AuthGuard)
 *   @EventStream()
 *   events(@Query('room') room: string): EventStreamResult {
 *     if (!room) throw new BadRequestException('Which room?'); // a 400, not an event
 *     return { topics: [`room:${room}`] };
 *   }
 *
 *   @Get('tokens')
 *   @EventStream()
 *   tokens() {
 *     return interval(100).pipe(take(5), map((n) => ({ data: `token ${n}` })));
 *   }
 * }
 * ```
 */
export function EventStream(
  defaults: StreamOptions<RegisteredTopics> = {},
): <F extends Handler>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<F>) => void {
  // How: Nest flattens an Observable a method returns before any interceptor sees it, so the
  // method itself is wrapped, and the wrapper (called by Nest after guards, interceptors and
  // pipes) opens the stream from the method's result. A method decorator takes no part in
  // dependency injection: the route's own interceptor lends the wrapper the injected broker.
  return (target, key, descriptor) => {
    const method = descriptor.value;
    if (typeof method !== 'function') throw new TypeError('@EventStream() decorates a controller method.');
    // The request and response come in as two hidden parameters after the method's own. A `@Res()`
    // parameter also tells Nest that the route answers the response itself.
    const at = hiddenParameterIndex(target, key, method);
    Req()(target, key, at);
    Res()(target, key, at + 1);
    const handler = async function eventStream(this: unknown, ...args: unknown[]): Promise<void> {
      const request = args[at] as NestRequest & PlatformRequest;
      const response = args[at + 1] as PlatformResponse;
      const unacceptable = notAcceptable(request.headers.accept);
      if (unacceptable) throw refusedException(unacceptable, response);
      const result = await method.apply(this, args.slice(0, at));
      const { options, body } = streamArguments(defaults, result);
      try {
        await brokerFor(request).stream(
          toStreamRequest(nodeRequest(request), request),
          options,
          (headers) => openSink(response, headers),
          body,
        );
      } catch (error) {
        const refusal = refusalOf(error);
        throw refusal ? refusedException(refusal, response) : error;
      }
    };
    Object.defineProperty(handler, 'name', { value: method.name });
    // Decorators applied before this one stored their metadata (route path, guards, …) on the method.
    for (const name of Reflect.getOwnMetadataKeys(method)) {
      Reflect.defineMetadata(name, Reflect.getOwnMetadata(name, method), handler);
    }
    descriptor.value = handler as unknown as typeof method;
    UseInterceptors(EventStreamInterceptor)(target, key, descriptor);
  };
}

/**
 * The first parameter index past the method's declared and decorated parameters (decorators of
 * parameters are applied before those of their method).
 * @throws TypeError when the method has a `@Res()` or `@Next()` parameter of its own.
 */
function hiddenParameterIndex(target: object, key: string | symbol, method: Handler): number {
  const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) ?? {}) as Record<string, { index: number }>;
  if (Object.keys(params).some((param) => RESPONSE_OR_NEXT.test(param))) {
    throw new TypeError(
      `@EventStream() ${String(key)}(): remove its @Res()/@Next() parameter. The stream answers the response; set headers before it opens (in a guard or an interceptor) or with @Header().`,
    );
  }
  return Math.max(method.length, ...Object.values(params).map(({ index }) => index + 1));
}
