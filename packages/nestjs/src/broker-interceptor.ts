/**
 * Hands the injected broker to the `@EventStream()` handler of each request.
 */
import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Broker, missingMiddleware } from '@ssekit/core';
import type { Observable } from 'rxjs';
import { SseBroker } from './broker-token.js';

/** The broker of each request an `@EventStream()` route is handling, until the request is collected. */
const brokers = new WeakMap<object, Broker>();

/**
 * Runs as the `@EventStream()` route's own interceptor (after guards and any global, controller
 * or earlier route interceptors) and lends the handler the broker Nest injected: a method
 * decorator cannot take part in dependency injection itself. @internal
 */
@Injectable()
export class EventStreamInterceptor implements NestInterceptor {
  constructor(@Inject(SseBroker) private readonly broker: SseBroker) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    brokers.set(context.switchToHttp().getRequest<object>(), this.broker as unknown as Broker);
    return next.handle();
  }
}

/** The broker lent to `request`, or an error that says how to install it. @internal */
export function brokerFor(request: object): Broker {
  const broker = brokers.get(request);
  if (!broker) throw missingMiddleware('@EventStream()', 'SseModule.forRoot()');
  return broker;
}
