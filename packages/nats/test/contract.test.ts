/**
 * The shared transport suite (`@ssekit/contract/transport`) against real `nats-server -js`
 * processes: streams on file storage where the server is persistent, memory storage where not.
 */
import { runTransportSuite, type TransportServer } from '@ssekit/contract/transport';
import { startNats } from '@ssekit/test-utils';
import { createNatsTransport } from '../src/index.js';

runTransportSuite({
  name: 'NATS JetStream',
  async startServer({ persistent }): Promise<TransportServer> {
    const server = await startNats();
    return { url: server.url, persistent, kill: server.kill, restart: server.restart, stop: server.stop };
  },
  createTransport(server, namespace, options = {}) {
    return createNatsTransport({
      nats: server.url,
      stream: namespace,
      subject: namespace,
      storage: server.persistent ? 'file' : 'memory',
      ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
  },
  urlFor: (port) => `nats://127.0.0.1:${port}`,
});
