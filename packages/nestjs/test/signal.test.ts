// SIGTERM to a process running a Nest app (app.enableShutdownHooks()): SseModule closes the broker
// before Nest closes the HTTP server, so each client gets every event it was sent, then the end.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exited, openSse, track, waitForOutput } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { PLATFORMS } from './nest-app.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe.each(PLATFORMS)('SIGTERM on %s', (platform) => {
  it('ends every stream with all it was sent, then exits 0', async () => {
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/signal-app.ts'], {
        cwd: `${here}..`,
        env: { ...process.env, PLATFORM: platform },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exit = exited(child);
    const [, port] = await waitForOutput(child, /listening (\d+)/, 20_000);
    const url = `http://127.0.0.1:${port}`;
    const readers = await Promise.all([openSse(`${url}/events`), openSse(`${url}/events`)]);
    const ids = (await (await fetch(`${url}/publish?n=200`)).json()) as string[];
    expect(ids).toHaveLength(200);
    child.kill('SIGTERM');
    await Promise.all(readers.map((reader) => reader.done));
    for (const reader of readers) expect(reader.events.map((e) => e.id)).toEqual(ids);
    expect(await exit, output).toEqual({ code: 0, signal: null });
  });
});
