// ssekit core on node:http with the Redis Streams transport: every event goes through XADD and
// comes back through the node's one XREAD loop before fan-out. Starts its own redis-server.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { createRedisTransport } from '@ssekit/redis';
import { Redis } from 'ioredis';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  process.on('exit', () => child.kill('SIGKILL'));
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
  throw new Error('redis-server did not start (is it installed?)');
}

export async function create() {
  const port = await startRedis();
  const transport = createRedisTransport({ redis: new Redis(port, '127.0.0.1') });
  const broker = createBroker({ heartbeatInterval: 0, transport });
  const server = http.createServer((req, res) => {
    broker.stream(toStreamRequest(req), {}, () => createNodeSink(res)).catch(() => res.destroy());
  });
  return { server, count: () => broker.stats().connections, publish: (data) => void broker.broadcast({ data }) };
}
