#!/usr/bin/env node
// `pnpm demo`: builds the page and the server, then starts the server in this same process, so
// Ctrl-C and SIGTERM reach it directly (no shell in between to die first) and it closes the
// broker gracefully. Flags and environment (FRAMEWORK, PORT, HOST) pass through to the server.
//
// When `redis-server` is installed (the test command installs it), the demo also starts a Redis
// of its own (no persistence) and a second server process on the next port: the assistant's
// answers are kept in that Redis, so the page can resume an answer on the other process.
// `--single` (or SINGLE=1) starts one server only, with answers kept in memory.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDemo } from './build.mjs';

await buildDemo();

const { values } = parseArgs({
  strict: false,
  options: { port: { type: 'string', short: 'p' }, framework: { type: 'string', short: 'f' }, single: { type: 'boolean' } },
});
const single = values.single === true || process.env.SINGLE === '1';
const hasRedis = spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;
if (!single && (process.env.REDIS_URL || hasRedis)) {
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const children = [];
  process.on('exit', () => {
    for (const child of children) child.kill('SIGTERM');
  });
  if (!process.env.REDIS_URL) {
    const redisPort = await freePort();
    const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(redis);
    await waitFor(redis, /Ready to accept connections/);
    process.env.REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  }
  const server = fileURLToPath(new URL('../dist/server/main.mjs', import.meta.url));
  const peer = spawn(
    process.execPath,
    [server, '--port', String(port + 1), ...(values.framework ? ['--framework', String(values.framework)] : [])],
    {
      env: { ...process.env, PEER_URL: `http://localhost:${port}`, SECOND: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  children.push(peer);
  process.env.PEER_URL = `http://localhost:${port + 1}`;
}
await import('../dist/server/main.mjs');

function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  return once(probe, 'listening').then(() => {
    const { port } = probe.address();
    probe.close();
    return port;
  });
}

function waitFor(child, pattern) {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (pattern.test(seen)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready`)));
  });
}
