import type { Broker } from '../broker.js';

/** A `node:http` or `node:https` server, or anything with the same close methods. */
export interface ClosableServer {
  close(callback?: (error?: Error) => void): unknown;
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
}

/** Options of {@link closeServer}. */
export interface CloseServerOptions {
  /** Closed first, so every stream ends cleanly (bounded by its `closeTimeout`) and clients reconnect elsewhere. */
  // biome-ignore lint/suspicious/noExplicitAny: any broker, whatever its event map and principal
  broker?: Broker<any, any>;
  /**
   * Milliseconds other requests get to finish once the server stops accepting; connections still
   * open then are dropped.
   * @default 1_000
   */
  grace?: number;
}

/**
 * Shuts a Node HTTP server down without waiting on its clients: closes the broker (streams end
 * gracefully), stops accepting, closes idle keep-alive sockets at once, and drops whatever is
 * still open after `grace`.
 *
 * A plain `server.close()` can wait forever: Node does not count a socket that connected but
 * never sent a request as idle, and stops checking `headersTimeout` once the server closes.
 * `fetch` (undici) leaves such a socket behind after every aborted stream.
 *
 * @example
 * ```ts
 * const server = app.listen(3000);
 * process.once('SIGTERM', () => closeServer(server, { broker: sse.broker }));
 * ```
 */
export async function closeServer(server: ClosableServer, options: CloseServerOptions = {}): Promise<void> {
  await options.broker?.close();
  const closed = new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error && (error as { code?: string }).code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
  });
  server.closeIdleConnections?.();
  const force = setTimeout(() => server.closeAllConnections?.(), options.grace ?? 1_000);
  try {
    await closed;
  } finally {
    clearTimeout(force);
  }
}
