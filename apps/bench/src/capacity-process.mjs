// Child processes of the capacity run (servers and load generators), driven over IPC, each with
// its own file-descriptor limit.
import { execFileSync, fork } from 'node:child_process';

let nextId = 1;

/** The soft and hard `ulimit -n` of processes started from here. */
export function fdLimits() {
  const read = (flag) => execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
  const number = (text) => (text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text));
  return { soft: number(read('-Sn')), hard: number(read('-Hn')) };
}

/** Raises (or lowers) the fd limit of `pid` to `limit` with `prlimit`; false when it could not. */
function setFdLimit(pid, limit) {
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Forks `script` with `args` and resolves once it sends `{ id: 0, ... }` (its ready message) to
 * `{ pid, ready, call(type, args), alive(), exit, stop() }`. `fdLimit` is applied with `prlimit`
 * right after the fork: it holds for every descriptor the child opens from then on.
 */
export async function startChild(script, args, { fdLimit, nodeFlags = [] }) {
  const child = fork(new URL(script, import.meta.url), args, {
    execArgv: ['--expose-gc', ...nodeFlags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let exit;
  child.on('message', (message) => {
    pending.get(message.id)?.resolve(message);
    pending.delete(message.id);
  });
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    for (const { reject } of pending.values()) reject(new Error(`${script} exited (${signal ?? code})`));
    pending.clear();
  });
  const call = (type, callArgs = {}) => {
    if (exit) return Promise.reject(new Error(`${script} exited (${exit.signal ?? exit.code})`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ id, type, ...callArgs });
    });
  };
  const limited = fdLimit ? setFdLimit(child.pid, fdLimit) : false;
  const ready = new Promise((resolve, reject) => pending.set(0, { resolve, reject }));
  return {
    pid: child.pid,
    ready: await ready,
    fdLimitSet: limited,
    call,
    alive: () => exit === undefined,
    get exit() {
      return exit;
    },
    stop: () => child.kill('SIGKILL'),
  };
}

/** CPU time (user + system, µs) of a `process.cpuUsage()` result. */
export const cpuMicros = ({ user, system }) => user + system;
