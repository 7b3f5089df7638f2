/**
 * What `SseModule` needs of the HTTP server once the broker has closed: let it close without
 * waiting on clients that hold a connection and send nothing. @internal
 */

/** An HTTP/2 session, as far as closing it goes. */
interface Session {
  close(): void;
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** A Node HTTP/1.1 or HTTP/2 server. */
export interface NodeServer {
  closeAllConnections?(): void;
  on(event: 'session', listener: (session: Session) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** The server's connections: HTTP/1.1 ones Node tracks itself, HTTP/2 sessions tracked here. */
export interface ServerConnections {
  /**
   * Asks every HTTP/2 session to close once its requests are done (Node's `server.close()` does
   * that for idle HTTP/1.1 connections only, and waits on any session, idle or not), and drops
   * whatever is still connected `ms` from now unless the server has closed by then.
   */
  closeWithin(ms: number | false): void;
}

/** Starts tracking `server`'s HTTP/2 sessions (an HTTP/1.1 server has none). */
export function trackConnections(server: NodeServer): ServerConnections {
  const sessions = new Set<Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return {
    closeWithin(ms) {
      for (const session of sessions) session.close();
      if (ms === false) return;
      const timer = setTimeout(() => {
        server.closeAllConnections?.();
        for (const session of sessions) session.destroy();
      }, ms);
      timer.unref?.();
      server.once('close', () => clearTimeout(timer));
    },
  };
}
