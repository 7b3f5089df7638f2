import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/**
 * Every process a test file starts. They are killed when the test worker exits, whatever happened,
 * so a failed or timed-out test never leaves a redis-server or a node behind.
 */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Registers a child for the exit sweep; it leaves the set when it exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    child.stdin?.end(); // lets a watchdog's background reader finish too
  });
  return child;
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal`, then SIGKILL if the child is still there after `grace` ms. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', grace = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), grace);
  await exited(child);
  clearTimeout(timer);
}

/** Resolves with the first stdout line matching `pattern`, or rejects after `timeout` ms or on exit. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeout = 10_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let errors = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = pattern.exec(buffered);
      if (match) {
        done();
        resolve(match);
      }
    };
    const onErr = (chunk: Buffer) => {
      errors += chunk.toString();
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`Process exited (${code}) before printing ${pattern}:\n${buffered}\n${errors}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`No ${pattern} after ${timeout} ms:\n${buffered}\n${errors}`));
    }, timeout);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
