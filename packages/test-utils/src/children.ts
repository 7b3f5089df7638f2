/**
 * Child processes a test starts: tracked so they are killed when the test worker exits, whatever
 * happened, and helpers to wait for their output and their exit.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

const children = new Set<ChildProcess>();
const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
process.on('exit', () => {
  for (const child of children) if (alive(child)) child.kill('SIGKILL');
});

/** Registers `child` so it is killed if the worker exits first. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    child.stdin?.end(); // lets a watchdog's background reader finish too
  });
  return child;
}

/** Resolves when `child` has exited, with its code and signal. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!alive(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends `signal`, then SIGKILL after `grace` ms if it is still running. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', grace = 3_000): Promise<void> {
  if (!alive(child)) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), grace);
  await exited(child);
  clearTimeout(timer);
}

/** Resolves with the first match of `pattern` in the child's stdout; rejects on exit or timeout. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeout = 15_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onOut = (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match) {
        done();
        resolve(match);
      }
    };
    const onErr = (chunk: Buffer) => {
      err += chunk.toString();
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`exited (${code}) before printing ${pattern}:\n${out}\n${err}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${pattern} after ${timeout} ms:\n${out}\n${err}`));
    }, timeout);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onOut);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onOut);
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
