/**
 * A slowloris client: it sends a request head one byte at a time and never finishes it, the way
 * an attacker holds sockets open at almost no cost to itself.
 */
import net from 'node:net';

export interface SlowlorisResult {
  /** Bytes of the head sent before the server gave up on the socket. */
  bytesSent: number;
  /** ms from connect until the server closed the socket, or `undefined` if it was still open at `maxMs`. */
  closedAfter: number | undefined;
  /** The status the server answered before closing (Node sends 408 on headersTimeout), 0 for none. */
  status: number;
}

/** Starts one slowloris socket; resolves when the server closes it or after `maxMs`. */
export function slowloris(port: number, options: { byteInterval: number; maxMs: number }): Promise<SlowlorisResult> {
  const head = `GET /events?topic=t HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nX-Padding: ${'a'.repeat(4096)}`;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let sent = 0;
    let started = 0;
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.destroy();
      resolve({
        bytesSent: sent,
        closedAfter: closed ? performance.now() - started : undefined,
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1] ?? 0),
      });
    };
    const deadline = setTimeout(() => finish(false), options.maxMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
    socket.on('connect', () => {
      started = performance.now();
      const step = () => {
        if (sent < head.length && !socket.destroyed) socket.write(head[sent++] as string);
      };
      step();
      timer = setInterval(step, options.byteInterval);
    });
  });
}
