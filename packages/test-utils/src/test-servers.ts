import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An app that starts its own server, as Express and Koa apps do. */
export interface ListeningApp {
  listen(port: number, host: string, callback: () => void): Server;
}

/** A server started by {@link TestServers.listen}. */
export interface ListeningServer {
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
}

/** The servers of one test file, closed together after each test. */
export interface TestServers {
  /** Starts `app` on 127.0.0.1 and a free port. */
  listen(app: ListeningApp): Promise<ListeningServer>;
  /** Runs `cleanup` before the servers close (closing a broker ends its streams, so they can). */
  onClose(cleanup: () => unknown): void;
  /** Runs the cleanups, then closes every server started since the last call. For `afterEach`. */
  closeAll(): Promise<void>;
}

/**
 * Tracks the servers a test starts so `afterEach(() => servers.closeAll())` ends them all.
 * @example
 * ```ts
 * const servers = testServers();
 * afterEach(() => servers.closeAll());
 * it('streams', async () => {
 *   servers.onClose(() => sse.broker.close());
 *   const { url } = await servers.listen(app);
 * });
 * ```
 */
export function testServers(): TestServers {
  let servers: Server[] = [];
  let cleanups: Array<() => unknown> = [];
  return {
    async listen(app) {
      const server = await new Promise<Server>((resolve) => {
        const started = app.listen(0, '127.0.0.1', () => resolve(started));
      });
      servers.push(server);
      const { port } = server.address() as AddressInfo;
      return { server, port, url: `http://127.0.0.1:${port}` };
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
    async closeAll() {
      const [closing, closingCleanups] = [servers, cleanups];
      servers = [];
      cleanups = [];
      for (const cleanup of closingCleanups) await cleanup();
      await Promise.all(closing.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
