/**
 * The broker as Nest injects it: one class token, typed by the app's `Register` declaration.
 */
import { Inject } from '@nestjs/common';
import type { Broker, RegisteredEvents, RegisteredPrincipal, RegisteredTopics } from '@ssekit/core';

/**
 * The broker {@link SseModule} provides: publish, broadcast, send, stats. Typed by the `Register`
 * declaration of `@ssekit/core` (untyped without one). Use it as an injection token, with
 * `@InjectBroker()` or, where decorator metadata is emitted, as the parameter's type.
 *
 * @example
 * ```ts fragment
 * @Injectable()
 * class News {
 *   constructor(@InjectBroker() private readonly broker: SseBroker) {}
 *   publish(text: string) { return this.broker.publish('news', { event: 'notice', data: text }); }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the class is only the token; the interface is what it injects
export abstract class SseBroker {}
export interface SseBroker extends Broker<RegisteredEvents, RegisteredPrincipal, RegisteredTopics> {}

/**
 * Injects the {@link SseBroker}: `constructor(@InjectBroker() broker: SseBroker)`. Needs no
 * decorator metadata (`emitDecoratorMetadata`), so it also works with esbuild, Vite and Bun.
 */
export function InjectBroker(): PropertyDecorator & ParameterDecorator {
  return Inject(SseBroker);
}
