import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ContractServer, remoteServer, runContractSuite } from '@ssekit/contract';
import { openRaw, openSse, waitFor } from '@ssekit/test-utils';
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
  describe(`hono on ${runtime}: bursts and slow clients`, () => {
    const BURST = { count: 400, bytes: 16 * 1024 }; // 6.4 MB
    const start = async () => {
      const child = spawn(command as string, args, {
        cwd: here,
        env: { ...process.env, CONTRACT_OPTIONS: '{}', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        stderr += chunk;
      });
      const server = remoteServer(`http://127.0.0.1:${await listeningPort(child, runtime)}`, () => stop(child));
      const post = async (path: string, body: unknown = {}) => {
        const response = await fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
        expect(response.status).toBe(200);
        await response.body?.cancel();
      };
      /** Everything the child printed on stderr up to now (a marker it prints closes the window). */
      const stderrSoFar = async () => {
        const marks = stderr.split('stderr-mark').length;
        await post('/_stderr-mark');
        await waitFor(() => stderr.split('stderr-mark').length > marks, 'the stderr marker');
        return stderr.replaceAll('stderr-mark\n', '');
      };
      return { server, burst: (awaited = false) => post('/_burst', { ...BURST, awaited }), stderrSoFar };
    };
    const waitForConnections = async (server: ContractServer, count: number) => {
      const deadline = Date.now() + 10_000;
      let seen = -1;
      while (Date.now() < deadline) {
        seen = (await server.stats()).connections;
        if (seen === count) return;
        await new Promise((resolve) => setTimeout(resolve, 10)); // a poll interval, not a wait for an outcome
      }
      throw new Error(`expected ${count} open streams, server reports ${seen}`);
    };

    it.each([
      ['published in one tick', false],
      ['each publish awaited', true],
    ])(
      'clients that read are not dropped by a burst of 400 x 16 KB (%s)',
      async (_, awaited) => {
        const { server, burst, stderrSoFar } = await start();
        try {
          const readers = await Promise.all(Array.from({ length: 4 }, () => openSse(`${server.url}/events`)));
          await waitForConnections(server, readers.length);
          await burst(awaited);
          for (const reader of readers) await reader.waitForEvents(BURST.count, 30_000);
          await server.broadcast({ data: 'after' });
          for (const reader of readers) {
            const events = await reader.waitForEvents(BURST.count + 1);
            expect(events.map((e) => Number.parseInt(e.data, 10)).slice(0, BURST.count)).toEqual([...Array(BURST.count).keys()]);
            expect(events.at(-1)?.data).toBe('after');
          }
          expect((await server.stats()).slowClientCloses).toBe(0);
          expect(await stderrSoFar()).toBe('');
          for (const reader of readers) reader.close();
        } finally {
          await server.shutdown();
        }
      },
      60_000,
    );

    it('drops a client that never reads within a few bursts, quietly, while a reader gets everything', async () => {
      const { server, burst, stderrSoFar } = await start();
      try {
        const reader = await openSse(`${server.url}/events`);
        const stalled = await openRaw(server.port, 'GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
        await stalled.until((text) => text.includes('\r\n\r\n'));
        stalled.socket.pause();
        await waitForConnections(server, 2);
        // Bounded memory: what the stalled client holds is at most the bursts it took before the
        // drop, and the socket's buffers take a few MB of the first ones.
        let bursts = 0;
        while ((await server.stats()).slowClientCloses === 0) {
          if (++bursts > 4) throw new Error('the stalled client was never dropped');
          await burst();
          await reader.waitForEvents(bursts * BURST.count, 30_000);
        }
        await waitForConnections(server, 1);
        await server.broadcast({ data: 'after' });
        const events = await reader.waitForEvents(bursts * BURST.count + 1);
        expect(events.at(-1)?.data).toBe('after');
        expect(events.length).toBe(bursts * BURST.count + 1);
        stalled.socket.destroy();
        // A drop is routine (the broker counts it): nothing on stderr, no stack trace.
        expect(await stderrSoFar()).toBe('');
        reader.close();
      } finally {
        await server.shutdown();
      }
    }, 90_000);
  });
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
