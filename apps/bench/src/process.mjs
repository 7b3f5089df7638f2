// Starts one variant's server in its own process and talks to it over IPC.
import { execFileSync, fork } from 'node:child_process';
import { startRuntimeServer } from './runtime-process.mjs';
import { certificate } from './tls.mjs';

let nextId = 1;

/** Sets the file-descriptor limit (soft and hard) of `pid` with `prlimit`; false when it could not. */
export function setFdLimit(pid, limit) {
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins `pid` to `cpu` when taskset exists and the machine has more than one core. */
export function pin(pid, cpu, enabled) {
  if (enabled) execFileSync('taskset', ['-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

/**
 * Starts `variant` in a child process, pinned to core 0 when `pinned`. `brokerOptions` go to the
 * variant's `create()` (ssekit variants pass them to `createBroker`), `nodeFlags` to Node, `fdLimit`
 * (soft and hard `ulimit -n`) to the server process, set with `prlimit` right after the fork. An
 * `h2-<name>` variant serves HTTP/2 over TLS (see `tls.mjs`). A `bun:<name>` or `deno:<name>` variant runs `variants/web/<name>.mjs` on that runtime.
 */
export async function startServer(variant, { pinned, nodeFlags = [], brokerOptions = {}, fdLimit }) {
  const onRuntime = /^(\w+):(.+)$/.exec(variant);
  if (onRuntime) {
    const [, runtime, name] = onRuntime;
    return startRuntimeServer(runtime, name, { brokerOptions, pin: (pid) => pin(pid, 0, pinned) });
  }
  // Made here, not in the server (killed with SIGKILL, it could not remove it): the server inherits it.
  if (variant.startsWith('h2-')) certificate();
  const child = fork(new URL('./server.mjs', import.meta.url), [variant, JSON.stringify(brokerOptions)], {
    execArgv: ['--expose-gc', ...nodeFlags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (fdLimit) setFdLimit(child.pid, fdLimit);
  const pending = new Map();
  child.on('message', (message) => {
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const ready = new Promise((resolve, reject) => {
    pending.set(0, resolve);
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  const { port } = await ready;
  pin(child.pid, 0, pinned);
  return {
    port,
    /** `h2` for the HTTP/2 variants (TLS, `h2-` prefix), `h1` for the others. */
    protocol: variant.startsWith('h2-') ? 'h2' : 'h1',
    call(type, args = {}) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.send({ id, type, ...args });
      });
    },
    stop() {
      child.kill('SIGKILL');
    },
  };
}

/** Runs `fn` with a started server of `variant` (options as {@link startServer}), then stops it. */
export async function withServer(variant, options, fn) {
  const server = await startServer(variant, options);
  try {
    return await fn(server);
  } finally {
    server.stop();
  }
}
