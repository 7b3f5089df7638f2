/**
 * Ends every stream when Nest shuts down, before Nest closes the HTTP server.
 */
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SseBroker } from './broker-token.js';
import { SSE_MODULE_OPTIONS } from './module-options.js';
import type { SseModuleOptions } from './options.js';
import { type NodeServer, type ServerConnections, trackConnections } from './server-connections.js';

/**
 * Closes the broker in `beforeApplicationShutdown`: Nest runs it before `dispose()` closes the
 * HTTP server, whose close would otherwise wait on every open stream. Then lets the server close
 * without waiting on clients that stay connected (see `forceCloseAfter`). @internal
 */
@Injectable()
export class SseShutdown implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private connections: ServerConnections | undefined;

  constructor(
    @Inject(SseBroker) private readonly broker: SseBroker,
    @Inject(SSE_MODULE_OPTIONS) private readonly options: SseModuleOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    // An application context (no HTTP adapter) has no server.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as NodeServer | undefined;
    if (server && this.options.closeOnShutdown !== false) this.connections = trackConnections(server);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.options.closeOnShutdown === false) return;
    await this.broker.close();
    this.connections?.closeWithin(this.options.forceCloseAfter ?? 1_000);
  }
}
