/**
 * `SseModule`: provides the broker to the whole app and shuts it down with the app.
 */
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { type Broker, type BrokerOrOptions, resolveBroker } from '@ssekit/core';
import { SseBroker } from './broker-token.js';
import { SSE_MODULE_OPTIONS } from './module-options.js';
import type { SseModuleAsyncOptions, SseModuleOptions } from './options.js';
import { SseShutdown } from './shutdown.js';

/** The broker, from the module's options: the one given, or one created from the broker options. */
const brokerProvider: Provider = {
  provide: SseBroker,
  useFactory: (options: SseModuleOptions): Broker => {
    const { closeOnShutdown: _close, forceCloseAfter: _force, ...brokerOptions } = options;
    return resolveBroker(brokerOptions as BrokerOrOptions);
  },
  inject: [SSE_MODULE_OPTIONS],
};

/**
 * The ssekit module: import it once, in the root module. It is global, so every controller can
 * use `@EventStream()` and every provider can inject the broker (`@InjectBroker()`). On shutdown
 * it closes the broker (every stream ends cleanly) before Nest closes the HTTP server.
 *
 * @example
 * ```ts fragment
 * @Module({ imports: [SseModule.forRoot({ heartbeatInterval: 15_000 })], controllers: [EventsController] })
 * class AppModule {}
 * ```
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic module shape
export class SseModule {
  /**
   * The module with a broker created from `options` (or the `broker` given).
   * @throws TypeError when `broker` is given together with broker options.
   */
  static forRoot(options: SseModuleOptions = {}): DynamicModule {
    return SseModule.with({ provide: SSE_MODULE_OPTIONS, useValue: options });
  }

  /**
   * The module with options from a factory, which may take providers (`inject`) from other
   * modules (`imports`), such as `ConfigService`.
   */
  static forRootAsync(options: SseModuleAsyncOptions): DynamicModule {
    return SseModule.with(
      { provide: SSE_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
      options.imports ?? [],
    );
  }

  private static with(optionsProvider: Provider, imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: SseModule,
      global: true,
      imports,
      providers: [optionsProvider, brokerProvider, SseShutdown],
      exports: [SseBroker],
    };
  }
}
