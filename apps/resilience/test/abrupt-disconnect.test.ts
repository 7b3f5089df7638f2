/**
 * Abrupt disconnects: clients that go away without a FIN. A client that stops reading, a
 * middlebox that dies silently, a client process killed outright, and (in a private network
 * namespace) a peer that vanishes from the network. The server must notice by the means it has
 * (heartbeat writes, the maxBufferedBytes cap, TCP timeouts) and free everything.
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { createClient, type SseClientError } from '@ssekit/client';
import { createBroker } from '@ssekit/core';
import { exited, openSse, type SseReader, stopChild, track, waitForOutput } from '@ssekit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAPTERS, type AdapterName, type RunningApp, startApp } from '../src/adapters.js';
import { adapterFigures, count, mib, ms } from '../src/figures.js';
import { settledHeap, sleep, until } from '../src/metrics.js';
import { SIZE } from '../src/size.js';
import { startProxy } from '../src/tcp-proxy.js';

const { record, note, flush } = adapterFigures('abrupt-disconnect', 'Abrupt disconnects', ADAPTERS);
afterAll(flush);

const appDir = fileURLToPath(new URL('..', import.meta.url));
const KIB16 = 'x'.repeat(16 * 1024);

/** Publishes a 16 KiB event on `topic` every `every` ms until stopped. */
function pump(app: RunningApp, topic: string, every = 5) {
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    void app.broker.publish(topic, { data: `${seq} ${KIB16}` });
  }, every);
  return {
    get published() {
      return seq;
    },
    stop: () => clearInterval(timer),
  };
}

describe.each(ADAPTERS)('%s: abrupt disconnects', (name: AdapterName) => {
  it('a client that stops reading is dropped by the maxBufferedBytes cap while events flow; a reading client misses nothing', async () => {
    let reason: string | undefined;
    let droppedAt = 0;
    const broker = createBroker({
      heartbeatInterval: 200,
      maxBufferedBytes: 64 * 1024,
      history: { historySize: 10 },
      closeTimeout: 500,
      onDisconnect: (connection, why) => {
        if (connection.clientId === 'frozen') {
          reason = why;
          droppedAt = performance.now();
        }
      },
    });
    const app = await startApp(name, { broker });
    const frozen = net.connect(app.port, '127.0.0.1');
    frozen.on('error', () => {});
    try {
      const before = await settledHeap();
      // Dropped after the check, so its copy of the events is not in the heap figure.
      let healthy: SseReader | undefined = await openSse(`${app.url}/events?topic=t&client=healthy`);
      await new Promise<void>((resolve) => {
        frozen.once('data', () => {
          frozen.pause(); // never reads again, never closes
          resolve();
        });
        frozen.write('GET /events?topic=t&client=frozen HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
      });
      await until(() => broker.stats().connections === 2, 'both streams open');
      const paused = performance.now();
      const source = pump(app, 't');
      await until(() => reason !== undefined, 'the frozen client is dropped', 20_000);
      source.stop();
      const published = source.published;
      await healthy.waitForEvents(published, 20_000);
      expect(healthy.events.map((e) => Number(e.data.split(' ')[0]))).toEqual(Array.from({ length: published }, (_, i) => i + 1));
      healthy.close();
      healthy = undefined;
      await until(() => broker.stats().connections === 0, 'all streams freed');
      expect(reason).toBe('slow');
      expect(broker.stats().slowClientCloses).toBe(1);
      const growth = (await settledHeap()) - before;
      expect(growth).toBeLessThan(16 * 1024 * 1024);
      note(
        'client stops reading, 16 KiB events every 5 ms, cap 64 KiB: dropped after (MiB sent first); heap after',
        name,
        `${ms(droppedAt - paused)} (${mib(published * 16 * 1024)}); ${mib(growth, true)}`,
      );
    } finally {
      frozen.destroy();
      await app.close();
    }
  });

  it('a middlebox that dies silently: heartbeats alone cannot fill the buffers; client stall detection reconnects, the ghost holds its slot until events flow', async () => {
    let ghostGone = 0;
    const broker = createBroker({
      heartbeatInterval: 200,
      maxBufferedBytes: 64 * 1024,
      maxConnectionsPerClient: 1,
      retryAfter: 1,
      history: { historySize: 2_000 },
      closeTimeout: 500,
      onDisconnect: (_connection, why) => {
        if (why === 'slow') ghostGone = performance.now();
      },
    });
    const app = await startApp(name, { broker });
    const proxy = await startProxy(app.port);
    const errors: string[] = [];
    const seqs: number[] = [];
    const client = createClient(`http://127.0.0.1:${proxy.port}/events?topic=t&client=ada`, {
      stallTimeout: 500,
      retryDelay: 100,
      retryJitter: 0,
      maxRetryDelay: 1_000,
      parse: false,
    });
    client.on('message', (data) => seqs.push(Number(String(data).split(' ')[0])));
    client.onLifecycle('error', (error: SseClientError) => errors.push(error.status ? `${error.code} ${error.status}` : error.code));
    const source = { current: undefined as ReturnType<typeof pump> | undefined };
    try {
      await until(() => client.state === 'open' && broker.stats().connections === 1, 'client open');
      // One event first, so the client holds an id to resume from.
      await broker.publish('t', { data: '0 first' });
      await until(() => seqs.length === 1, 'first event');
      const frozenAt = performance.now();
      proxy.freeze();
      // Idle: only 2-byte heartbeats. The kernel buffers take megabytes, so the server sees nothing wrong.
      await until(() => errors.includes('STALLED'), 'the client notices the stall', 5_000);
      const stalledAfter = performance.now() - frozenAt;
      await until(() => errors.includes('HTTP_STATUS 429'), 'the reconnect is refused: the ghost holds the slot', 5_000);
      await sleep(500);
      expect(broker.stats().connections).toBe(1); // the ghost, still counted after the freeze
      const refusals = errors.filter((e) => e === 'HTTP_STATUS 429').length;
      // Events fill the ghost's buffers and the cap drops it; the client gets in and catches up.
      source.current = pump(app, 't');
      await until(() => ghostGone > 0, 'the ghost is dropped as slow', 20_000);
      await until(() => client.state === 'open', 'the client is back', 10_000);
      await sleep(200);
      source.current.stop();
      const published = source.current.published;
      await until(() => seqs.at(-1) === published, 'the client caught up', 20_000);
      expect(seqs).toEqual(Array.from({ length: published + 1 }, (_, i) => i));
      note(
        'middlebox dies: client stall detected after; ghost lifetime (idle, then 3.2 MB/s); 429s meanwhile; events lost',
        name,
        `${ms(stalledAfter)}; ${ms(ghostGone - frozenAt)}; ${refusals}; 0 of ${count(published)}`,
      );
    } finally {
      source.current?.stop();
      client.close();
      await proxy.close();
      await app.close();
    }
  });

  it('a client process killed with SIGKILL: every stream is freed at once', async () => {
    const broker = createBroker({ heartbeatInterval: 200, closeTimeout: 500 });
    const app = await startApp(name, { broker });
    const streams = 20;
    const script = `
      const http = require('node:http');
      let open = 0;
      for (let i = 0; i < ${streams}; i++) {
        http.get('${app.url}/events?topic=t', { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
          res.on('data', () => {});
          if (++open === ${streams}) console.log('open');
        });
      }`;
    const child = track(spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await waitForOutput(child, /open/);
      await until(() => broker.stats().connections === streams, 'all streams open');
      const killed = performance.now();
      child.kill('SIGKILL');
      await until(() => broker.stats().connections === 0, 'all streams freed', 5_000);
      note(`${streams} streams, client process SIGKILLed: all freed after`, name, ms(performance.now() - killed));
    } finally {
      await stopChild(child, 'SIGKILL');
      await app.close();
    }
  });
});

const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;
if (!canUnshare) {
  // Skipped tests say nothing of why: say it where the run's output shows it.
  console.warn(
    'abrupt-disconnect: SKIPPED the vanished-peer test (closeUnresponsive against a real dead peer): `unshare -n` is ' +
      'unavailable here (unprivileged user namespaces are off). The heartbeat sweep and the drop are still checked ' +
      "by packages/core's 'dead peers (closeUnresponsive)' tests, with the kernel's verdict simulated.",
  );
}

describe('a peer that vanishes from the network (private network namespace, loopback taken down)', () => {
  const runs = SIZE === 'full' ? [3, 5] : [2];
  // Linux retransmits unacknowledged data with a doubling timeout from 200 ms; tcp_retries2 = R
  // gives up after about 0.2 s × (2^(R+1) − 1), checked at the next retransmission.
  const giveUp = (retries: number) => 0.2 * (2 ** (retries + 1) - 1) * 1000;

  it.skipIf(!canUnshare).each(runs)(
    `${canUnshare ? '' : '[skipped: needs unshare -n] '}tcp_retries2 = %i: with heartbeats the broker drops the dead peer once it stops acknowledging (or the kernel gives up); without them an idle stream lives on`,
    async (retries) => {
      // TCP keepalive (1 s idle + 10 probes 1 s apart) is measured in the longest run only.
      const keepalive = SIZE === 'full' && retries === Math.max(...runs);
      const window = Math.max(Math.round(2.2 * giveUp(retries) + 2_000), keepalive ? 15_000 : 0);
      const child = track(
        spawn(
          'unshare',
          [
            '-n',
            'sh',
            '-c',
            `ip link set lo up && sysctl -q -w net.ipv4.tcp_retries2=${retries} && exec "$0" --import tsx --expose-gc src/vanish-child.ts`,
            process.execPath,
          ],
          {
            cwd: appDir,
            env: { ...process.env, WINDOW_MS: String(window), KEEPALIVE: keepalive ? '1' : '0' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      );
      try {
        const [, json] = await waitForOutput(child, /RESULT (.*)\n/, window + 30_000);
        const { result } = JSON.parse(json as string) as {
          result: Record<string, Record<string, { after: number | null; reason: string | null }>>;
        };
        const summary: Record<string, string[]> = {};
        for (const adapter of ADAPTERS) {
          const byScenario = result[adapter] ?? {};
          for (const [scenario, { after, reason }] of Object.entries(byScenario)) {
            summary[scenario] ??= [];
            summary[scenario].push(`${adapter} ${after === null ? `not within ${ms(window)}` : ms(after)}`);
            if (scenario.startsWith('no heartbeat') && !scenario.includes('keepalive')) expect(after).toBeNull();
            else expect(after).not.toBeNull();
            if (scenario.includes('the kernel decides')) expect(after).toBeLessThan(2.2 * giveUp(retries) + 1_000);
            else if (scenario.startsWith('heartbeat')) {
              // closeUnresponsive: 3 unanswered retransmissions (≥ 1.4 s), seen at the next round.
              const interval = scenario.startsWith('heartbeat 1 s') ? 1_000 : 200;
              expect(after).toBeLessThan(1_400 + 2 * interval + 1_000);
              if (!scenario.includes('events')) expect(reason).toBe('unresponsive');
            }
          }
        }
        for (const [scenario, values] of Object.entries(summary)) {
          record(`vanished peer, tcp_retries2=${retries}, ${scenario}: noticed after`, values.join(', '));
        }
        expect((await exited(child)).code).toBe(0);
      } finally {
        await stopChild(child, 'SIGKILL');
      }
    },
  );
});
