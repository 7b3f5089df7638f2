import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, freePort, track, waitForOutput } from './children.js';

// sh gives background jobs /dev/null as input, so the reader takes the real one through fd 3.
const WATCHDOG = `exec 3<&0
nats-server "$@" 2>&1 &
pid=$!
echo "pid $pid"
(cat <&3 > /dev/null; kill -9 $pid 2> /dev/null) &
wait $pid`;

/**
 * A `nats-server -js` of the test's own, on a free port, with its JetStream store in a temporary
 * directory (`-sd`). Like the redis-server starter, it runs under a shell watchdog that kills it
 * when the test worker goes away, however it ends.
 */
export interface NatsServer {
  readonly port: number;
  readonly url: string;
  /** The JetStream store directory: file-storage streams survive `restart()`, memory ones do not. */
  readonly dir: string;
  /** The nats-server's process id (it changes with `restart()`), to pause it with `SIGSTOP`. */
  readonly pid: number;
  /** Kills the server at once (`SIGKILL`), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store directory. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Starts a nats-server with JetStream for one test file. Never relies on a system NATS. */
export async function startNats(): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ssekit-nats-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let pid = 0;

  const launch = async () => {
    const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir];
    const started = track(spawn('sh', ['-c', WATCHDOG, 'sh', ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
    child = started;
    const [, natsPid] = await waitForOutput(started, /^pid (\d+)$[\s\S]*Server is ready/m);
    pid = Number(natsPid);
  };

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
    url: `nats://127.0.0.1:${port}`,
    dir,
    get pid() {
      return pid;
    },
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
