/**
 * A redis-server of the test's own on a free port, its data in a temporary directory. It runs
 * under a small shell watchdog that kills it when the test worker's end of a pipe closes, so even
 * a worker killed with SIGKILL leaves no redis-server behind.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, freePort, stopChild, track, waitForOutput } from './children.js';

// Background jobs get /dev/null as stdin in sh, so the watchdog reads the pipe through fd 3.
const WATCHDOG = `exec 3<&0
redis-server "$@" &
pid=$!
echo "pid $pid"
(cat <&3 > /dev/null; kill -9 $pid 2> /dev/null) &
wait $pid`;

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops Redis and removes its directory. */
  stop(): Promise<void>;
}

/** Starts a redis-server (no persistence) for one test file. */
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ssekit-resilience-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', ''];
    const child = track(spawn('sh', ['-c', WATCHDOG, 'sh', ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
    try {
      const [, pid] = await waitForOutput(child, /^pid (\d+)$[\s\S]*Ready to accept connections/m);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        async stop() {
          try {
            process.kill(Number(pid), 'SIGTERM');
          } catch {
            // already gone
          }
          child.stdin?.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
          await exited(child);
          clearTimeout(timer);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      child.stdin?.end();
      await stopChild(child, 'SIGKILL');
      // The port was taken between the probe and the bind: try another.
      if (attempt >= 4) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}
