import { type ChildProcess, spawn } from 'node:child_process';
import { exited, track, waitForOutput } from './children.js';

// sh gives background jobs /dev/null as input, so the reader takes the real one through fd 3.
const WATCHDOG = `exec 3<&0
"$@" &
pid=$!
echo "pid $pid"
(cat <&3 > /dev/null; kill -9 $pid 2> /dev/null) &
wait $pid`;

/**
 * A server program (redis-server, redis-sentinel) run under a small shell watchdog that kills it
 * when the test worker's end of a pipe closes, so even a worker killed with SIGKILL leaves no
 * server behind. `signal` reaches the program itself, then waits for the watchdog to exit with it.
 */
export interface Watched {
  readonly pid: number;
  signal(name: NodeJS.Signals): Promise<void>;
}

/** Starts `program` with `args` and resolves once its output matches `ready`. */
export async function startWatched(program: string, args: readonly string[], ready: RegExp, timeout = 15_000): Promise<Watched> {
  const child: ChildProcess = track(spawn('sh', ['-c', WATCHDOG, 'sh', program, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const pattern = new RegExp(`^pid (\\d+)$[\\s\\S]*${ready.source}`, 'm');
  const [, pid] = await waitForOutput(child, pattern, timeout);
  const programPid = Number(pid);
  return {
    pid: programPid,
    async signal(name) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(programPid, name);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(programPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
