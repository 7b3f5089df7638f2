import net from 'node:net';

/** A TCP client that sends raw request bytes and keeps every byte of the answer. */
export interface RawClient {
  readonly socket: net.Socket;
  /** Everything received so far, as Latin-1 text (bytes preserved one to one). */
  received(): string;
  /** Resolves once `predicate(received())` holds. */
  until(predicate: (text: string) => boolean, timeout?: number): Promise<string>;
  /** Resolves when the server closes the socket. */
  readonly closed: Promise<void>;
}

/** Connects to 127.0.0.1:`port` and writes `request` as is. */
export function openRaw(port: number, request: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const listeners = new Set<() => void>();
    const closed = new Promise<void>((resolveClosed) => socket.on('close', () => resolveClosed()));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      for (const listener of listeners) listener();
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(request);
      const received = () => Buffer.concat(chunks).toString('latin1');
      resolve({
        socket,
        received,
        closed,
        until(predicate, timeout = 5_000) {
          return new Promise((resolveUntil, rejectUntil) => {
            const check = () => {
              const text = received();
              if (predicate(text)) {
                done();
                resolveUntil(text);
              }
            };
            const timer = setTimeout(() => {
              done();
              rejectUntil(new Error(`Timed out; received so far:\n${received()}`));
            }, timeout);
            const done = () => {
              clearTimeout(timer);
              listeners.delete(check);
            };
            listeners.add(check);
            check();
          });
        },
      });
    });
  });
}

/**
 * Connects to 127.0.0.1:`port` and never sends a request, as undici leaves a spare connection
 * after an aborted stream: Node's `server.close()` waits on such a socket.
 */
export async function openSilent(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Decodes an HTTP/1.1 chunked body (the part after the blank line) into its bytes as Latin-1. */
export function dechunk(body: string): string {
  let out = '';
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.slice(at, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return out;
}
