import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, freePort, track, waitForOutput } from './children.js';

// sh gives background jobs /dev/null as input, so the reader takes the real one through fd 3.
const WATCHDOG = `exec 3<&0
redis-server "$@" &
pid=$!
echo "pid $pid"
(cat <&3 > /dev/null; kill -9 $pid 2> /dev/null) &
wait $pid`;

/**
 * A redis-server of the test's own, on a free port, with its data in a temporary directory. It
 * runs under a small shell watchdog that kills it when the test worker's end of a pipe closes, so
 * even a worker killed with SIGKILL leaves no redis-server behind.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Kills the server at once (`SIGKILL`), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (reloading the AOF when `persistent`). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Keep data across restarts: an append-only file fsynced on every write. */
  persistent?: boolean;
}

/** Starts a redis-server for one test file. Never relies on a system Redis. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ssekit-redis-'));
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  let port = 0;
  let pid = 0;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--logfile', ''];
    // A watchdog shell: it reports Redis's pid, and kills Redis when its standard input closes,
    // which happens when this test worker exits in any way, even killed with SIGKILL.
    const started = track(spawn('sh', ['-c', WATCHDOG, 'sh', ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
    child = started;
    const [, redisPid] = await waitForOutput(started, /^pid (\d+)$[\s\S]*Ready to accept connections/m);
    pid = Number(redisPid);
  };

  /** Signals Redis itself, then waits for the watchdog, which exits with it. */
  const signal = async (name: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const watchdog = child;
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3_000);
    await exited(watchdog);
    clearTimeout(timer);
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 4) {
        await rm(dir, { recursive: true, force: true });
        throw error; // the port was taken between the probe and the bind: try another
      }
    }
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGKILL');
      await launch();
    },
    async stop() {
      await signal('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
