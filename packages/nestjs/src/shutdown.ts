/**
 * Ends every stream when Nest shuts down, before Nest closes the HTTP server.
 */
import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SseBroker } from './broker-token.js';
import { SSE_MODULE_OPTIONS } from './module-options.js';
import type { SseModuleOptions } from './options.js';

/** A Node HTTP server, as far as dropping its connections goes. */
interface DroppableServer {
  closeAllConnections?(): void;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Closes the broker in `beforeApplicationShutdown`: Nest runs it before `dispose()` closes the
 * HTTP server, whose close would otherwise wait on every open stream. @internal
 */
@Injectable()
export class SseShutdown implements BeforeApplicationShutdown {
  constructor(
    @Inject(SseBroker) private readonly broker: SseBroker,
    @Inject(SSE_MODULE_OPTIONS) private readonly options: SseModuleOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const { closeOnShutdown = true, forceCloseAfter = 1_000 } = this.options;
    if (!closeOnShutdown) return;
    await this.broker.close();
    const server = this.adapterHost.httpAdapter?.getHttpServer() as DroppableServer | undefined;
    if (server && forceCloseAfter !== false) dropConnectionsAfter(server, forceCloseAfter);
  }
}

/** Drops what is still connected `ms` from now, unless the server has closed by then. */
function dropConnectionsAfter(server: DroppableServer, ms: number): void {
  const timer = setTimeout(() => server.closeAllConnections?.(), ms);
  timer.unref?.();
  server.once('close', () => clearTimeout(timer));
}
