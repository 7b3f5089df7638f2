// ssekit core on node:http with the NATS JetStream transport: every event goes through a
// JetStream publish and comes back through the node's one consumer before fan-out. Starts its own
// nats-server (JetStream, file storage in a temporary directory).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { createNatsTransport } from '@ssekit/nats';
import { EVENT_TYPE } from './event.mjs';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startNats() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-bench-nats-'));
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  process.on('exit', () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return port;
    await sleep(50);
  }
  throw new Error('nats-server did not start (is it installed?)');
}

export async function create() {
  const port = await startNats();
  const transport = createNatsTransport({ nats: `nats://127.0.0.1:${port}` });
  const broker = createBroker({ heartbeatInterval: 0, transport });
  const server = http.createServer((req, res) => {
    broker.stream(toStreamRequest(req), {}, () => createNodeSink(res)).catch(() => res.destroy());
  });
  return { server, count: () => broker.stats().connections, publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }) };
}
