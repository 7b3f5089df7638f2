/**
 * The dead-peer check (`closeUnresponsive`) reads the kernel's TCP tables, which list every socket
 * of the host: with tens of thousands of them one read takes the kernel a large part of a second.
 * The check once read them synchronously, again for each stream once 100 ms had passed, so a
 * heartbeat round on a busy host blocked the event loop for (streams x read time): a capacity run
 * with 60,000 sockets on the machine hung every server for minutes. Here a helper process fills the
 * table while a few streams go through heartbeat rounds, and the loop must stay responsive.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSse, waitFor } from '@ssekit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { servedBrokers } from './helpers/serve.js';

const start = servedBrokers();
/** Connected pairs the helper holds: twice as many sockets in the host's table. */
const PAIRS = 8_000;

/** A process holding `pairs` loopback connections to itself; resolves once they are all open. */
async function holdSockets(pairs: number) {
  const child = fork(
    '-e',
    [
      `const net = require('node:net');
      const server = net.createServer(() => {}).listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, async () => {
        const port = server.address().port;
        for (let i = 0; i < ${pairs}; i += 500) {
          await Promise.all(Array.from({ length: Math.min(500, ${pairs} - i) }, () => new Promise((resolve, reject) => {
            net.connect(port, '127.0.0.1', resolve).on('error', reject);
          })));
        }
        process.send('open');
      });`,
    ],
    { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the socket holder exited with ${code}`)));
  });
  return child;
}

describe.skipIf(!existsSync('/proc/net/tcp'))('dead-peer check on a host with many sockets', () => {
  const children: Array<{ kill(): boolean }> = [];
  afterAll(() => {
    for (const child of children) child.kill();
  });

  it('heartbeat rounds do not stall the event loop while the kernel table is read', async () => {
    children.push(await holdSockets(PAIRS));
    const { broker, served } = await start({ heartbeatInterval: 200 });
    const readers = await Promise.all(Array.from({ length: 20 }, () => openSse(served.url)));
    await waitFor(() => broker.stats().connections === 20, '20 streams open');
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    // Count rounds by the heartbeats a reader gets, not by sleeping: ten rounds at least.
    const before = readers[0]?.comments.length ?? 0;
    await waitFor(() => (readers[0]?.comments.length ?? 0) >= before + 5, 'five heartbeats', 60_000);
    delay.disable();
    // Reading ~16,000 sockets' rows takes the kernel 100 ms or more; reading them synchronously
    // once per stream per round blocked the loop for seconds at a time.
    expect(delay.max / 1e6).toBeLessThan(1_000);
    expect(broker.stats()).toMatchObject({ connections: 20, unresponsiveCloses: 0 });
    for (const reader of readers) reader.close();
  }, 90_000);
});
