import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remoteServer, runContractSuite } from '@ssekit/contract';

const here = fileURLToPath(new URL('.', import.meta.url));
// The real binaries, not the node_modules/.bin shims: a shim runs a Node wrapper that spawns the
// binary, and killing the wrapper would leave the runtime (and its port) behind.
const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
const runtimes: Record<string, string[]> = {
  bun: [join(packageDir('bun'), 'bin', 'bun.exe'), 'run', 'runtime-server.ts'],
  deno: [join(packageDir('deno'), 'deno'), 'run', '--allow-net', '--allow-env', '--allow-read', '--no-lock', 'runtime-server.ts'],
};

for (const [runtime, [command, ...args]] of Object.entries(runtimes)) {
  runContractSuite({
    name: `hono on ${runtime}`,
    // Bun and Deno read a pipelined request only once the response ahead of it has ended.
    pipelinedRequestsWait: true,
    async start(options) {
      const child = spawn(command as string, args, {
        cwd: here,
        env: { ...process.env, CONTRACT_OPTIONS: JSON.stringify(options), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const port = await listeningPort(child, runtime);
      return remoteServer(`http://127.0.0.1:${port}`, () => stop(child));
    },
  });
}

function listeningPort(child: ChildProcess, runtime: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${runtime} did not start: ${out}`)), 20_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${runtime} exited with ${code}: ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
