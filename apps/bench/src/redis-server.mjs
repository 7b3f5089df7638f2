// A redis-server of the bench's own on a free port, killed when this process exits. The bench
// never relies on a system Redis.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port nothing listens on now, on 127.0.0.1. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts redis-server (no persistence) and resolves to `{ port, stop() }` once it accepts connections. */
export async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const stop = () => child.kill('SIGKILL');
  process.on('exit', stop);
  // Polls for the listening socket: redis-server says nothing on stdout we could wait on with --logfile ''.
  for (let i = 0; i < 100; i++) {
    if (await accepts(port)) return { port, pid: child.pid, stop };
    await sleep(50);
  }
  stop();
  throw new Error('redis-server did not start (is it installed? `node scripts/ensure-system-deps.mjs`)');
}
