import net from 'node:net';

/**
 * A TCP proxy in front of a backend server, so a test can hold one node's view of the backend
 * still: `mute()` drops whatever the server sends on the connections open now (the node reads
 * nothing more, as if it had stalled), until the server closes them. Connections opened later pass
 * everything.
 */
export interface MutableProxy {
  readonly port: number;
  /** Drops what the server sends on every connection open now. */
  mute(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<MutableProxy> {
  const open = new Set<{ muted: boolean; client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { muted: false, client, upstream };
    open.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    upstream.on('data', (chunk) => {
      if (!pair.muted) client.write(chunk);
    });
    client.on('data', (chunk) => upstream.write(chunk));
    const end = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    mute() {
      for (const pair of open) pair.muted = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of open) pair.client.destroy();
        server.close(() => resolve());
      }),
  };
}
