/**
 * A TCP proxy between a client and the server under test that can die silently: `freeze()` makes
 * it stop forwarding anything on the connections it holds, FIN and RST included, the way a crashed
 * NAT box or a dead network path does. The server then sees a peer that is still there at the TCP
 * level but never reads again.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections currently held. */
  readonly size: number;
  /** Stops forwarding on every connection held now (new connections are still forwarded). */
  freeze(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
}

/** Starts a proxy on 127.0.0.1 in front of 127.0.0.1:`targetPort`. */
export function startProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, frozen: false };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk) => {
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
    // A live proxy passes closes on; a frozen one passes nothing, so the other side never learns.
    const drop = () => {
      if (pair.frozen) return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        port,
        get size() {
          return pairs.size;
        },
        freeze() {
          for (const pair of pairs) {
            pair.frozen = true;
            pair.client.pause();
            pair.upstream.pause();
          }
        },
        close() {
          for (const pair of pairs) {
            pair.client.destroy();
            pair.upstream.destroy();
          }
          pairs.clear();
          return new Promise((resolveClose) => server.close(() => resolveClose()));
        },
      });
    });
  });
}
