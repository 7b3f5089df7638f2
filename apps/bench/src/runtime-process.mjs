// Starts a variant's server on Bun or Deno (both from npm) and talks to it over HTTP, with the
// same face as an IPC server from process.mjs: `{ port, call(type, args), stop() }`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const packageDir = (name) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));

/** The runtimes `--runtimes` accepts, each as a binary and the arguments that run a script. */
export const RUNTIMES = {
  // The real binaries, not the node_modules/.bin shims (killing a shim would leave the runtime behind).
  bun: () => [join(packageDir('bun'), 'bin', 'bun.exe'), 'run'],
  deno: () => [
    join(packageDir('deno'), 'deno'),
    'run',
    '--allow-net',
    '--allow-read',
    '--allow-env',
    '--allow-sys',
    '--no-lock',
    '--v8-flags=--expose-gc',
  ],
};

/** Starts `variant` (a file in variants/web/) on `runtime`; `pin(pid)` pins it like a Node server. */
export async function startRuntimeServer(runtime, variant, { brokerOptions = {}, pin }) {
  const make = RUNTIMES[runtime];
  if (!make) throw new Error(`unknown runtime ${runtime}: use ${Object.keys(RUNTIMES).join(', ')}`);
  const [command, ...args] = make();
  const child = spawn(command, [...args, 'runtime-server.mjs', variant, JSON.stringify(brokerOptions)], {
    cwd: here,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${runtime}:${variant} server exited with ${code}: ${out}`)));
  });
  pin(child.pid);
  return {
    port,
    async call(type, body = {}) {
      const response = await fetch(`http://127.0.0.1:${port}/_bench/${type}`, { method: 'POST', body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${runtime}:${variant} answered ${type} with ${response.status}`);
      return response.json();
    },
    stop() {
      child.kill('SIGKILL');
    },
  };
}
