import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remoteServer, runContractSuite } from '@ssekit/contract';
import { openSse } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
// The real binaries, not the node_modules/.bin shims: a shim runs a Node wrapper that spawns the
// binary, and killing the wrapper would leave the runtime (and its port) behind.
const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
const runtimes: Record<string, string[]> = {
  bun: [join(packageDir('bun'), 'bin', 'bun.exe'), 'run', 'runtime-server.ts'],
  deno: [join(packageDir('deno'), 'deno'), 'run', '--allow-net', '--allow-env', '--allow-read', '--no-lock', 'runtime-server.ts'],
};

for (const [runtime, [command, ...args]] of Object.entries(runtimes)) {
  if (runtime === 'bun') {
    describe('hono on bun: idle timeout', () => {
      it("a quiet stream outlives Bun's per-request idle timeout", async () => {
        // 1 s instead of the default 10 s, and no heartbeat: only lifting the timeout keeps it open.
        const child = spawn(command as string, args, {
          cwd: here,
          env: { ...process.env, CONTRACT_OPTIONS: '{}', IDLE_TIMEOUT: '1', NO_COLOR: '1' },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const server = remoteServer(`http://127.0.0.1:${await listeningPort(child, runtime)}`, () => stop(child));
        try {
          const reader = await openSse(`${server.url}/events?topic=t`);
          // The quiet period is the scenario itself: Bun checks idle sockets every few seconds, so 6 s
          // is well past a 1 s timeout (without the lift the stream ends within it).
          await new Promise((resolve) => setTimeout(resolve, 6_000));
          expect(reader.ended()).toBe(false);
          await server.publish('t', { data: 'still here' });
          expect((await reader.waitForEvents(1))[0]?.data).toBe('still here');
          reader.close();
        } finally {
          await server.shutdown();
        }
      }, 20_000);
    });
  }
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
