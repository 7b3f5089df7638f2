/**
 * Graceful shutdown under load: a server process streaming to @ssekit/client clients receives
 * SIGTERM. The broker ends every stream cleanly, the process exits 0 within a bound, and the
 * clients reconnect to a new process on the same port. With the Redis transport carrying events
 * published meanwhile by another node, nobody misses or repeats an event.
 */

import { type Client, createClient } from '@ssekit/client';
import { type Broker, createBroker } from '@ssekit/core';
import { createRedisTransport } from '@ssekit/redis';
import { exited, freePort, openSilent, type RedisServer, settlesWithin, startRedis, waitForOutput } from '@ssekit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, type AdapterName, startApp } from '../src/adapters.js';
import { count, figures, ms } from '../src/figures.js';
import { until } from '../src/metrics.js';
import { type ServerChild, startServerChild } from '../src/server-child.js';
import { sized } from '../src/size.js';

const CLIENTS = sized(20, 200);
/** Events per second published by the other node throughout. */
const RATE = 50;
const CLOSE_TIMEOUT = 2_000;
const record = figures('graceful-shutdown', 'Graceful shutdown');
const rows: string[] = [];
const idleExits: string[] = [];
let redis: RedisServer;
const servers: ServerChild[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  if (rows.length > 0) {
    record(
      `SIGTERM under load (${count(CLIENTS)} clients, ${RATE} events/s published on another node, Redis transport): exit code, SIGTERM → exit; streams ended cleanly; new process listening after; all clients back after; lost / repeated / gaps`,
      rows.join(', '),
    );
    record('SIGTERM once the clients have left: exit code, SIGTERM → exit', idleExits.join(', '));
  }
  await Promise.all(servers.map((server) => server.stop(3_000)));
  await redis?.stop();
});

interface Watched {
  client: Client;
  seqs: number[];
  errors: string[];
  opens: number;
  gaps: number;
}

describe('graceful shutdown', () => {
  it.each(ADAPTERS)(
    '%s: SIGTERM ends every stream cleanly, exits 0, and the clients resume on the next process without missing an event',
    async (adapter: AdapterName) => {
      const streamKey = `resilience:${adapter}:${Date.now()}`;
      const port = await freePort();
      const start = async () => {
        const server = await startServerChild({
          adapter,
          port,
          redisUrl: redis.url,
          streamKey,
          broker: { heartbeatInterval: 1_000, closeTimeout: CLOSE_TIMEOUT },
        });
        servers.push(server);
        return server;
      };
      // The other node: publishes into the same stream the whole time.
      const publisher: Broker = createBroker({ transport: createRedisTransport({ redis: redis.url, streamKey }), heartbeatInterval: 0 });
      let seq = 0;
      const pump = setInterval(() => {
        void publisher.publish('t', { data: String(++seq) });
      }, 1000 / RATE);
      const watched: Watched[] = [];
      try {
        const first = await start();
        for (let i = 0; i < CLIENTS; i++) {
          const w: Watched = {
            client: createClient(`http://127.0.0.1:${port}/events?topic=t`, { retryDelay: 100, maxRetryDelay: 500, parse: false }),
            seqs: [],
            errors: [],
            opens: 0,
            gaps: 0,
          };
          w.client.on('message', (data) => w.seqs.push(Number(data)));
          w.client.onLifecycle('open', () => w.opens++);
          w.client.onLifecycle('gap', () => w.gaps++);
          w.client.onLifecycle('error', (error) => w.errors.push(error.code));
          watched.push(w);
        }
        await until(() => watched.every((w) => w.seqs.length > 5), 'every client receives events', 20_000);

        const output = waitForOutput(first.process, /shutdown (\d+)/, CLOSE_TIMEOUT + 10_000);
        const signalled = performance.now();
        first.process.kill('SIGTERM');
        const { code } = await exited(first.process);
        const exitedAfter = performance.now() - signalled;
        await output.catch(() => undefined);
        // Every stream ended as a clean end of the response (CLOSED), not a reset (NETWORK).
        const cleanly = watched.filter((w) => w.errors[0] === 'CLOSED').length;

        const second = await start();
        const listening = performance.now() - signalled;
        await until(() => watched.every((w) => w.opens >= 2), 'every client back on the new process', 20_000);
        const back = performance.now() - signalled;
        // Some events on the new process for everyone before the pump stops (counted, not slept).
        const resumedAt = seq;
        await until(() => watched.every((w) => (w.seqs.at(-1) ?? 0) >= resumedAt + 5), 'events from the new process', 20_000);
        clearInterval(pump);
        const last = seq;
        await until(() => watched.every((w) => w.seqs.at(-1) === last), 'every client has the last event', 20_000);

        let lost = 0;
        let repeated = 0;
        for (const w of watched) {
          for (let i = 1; i < w.seqs.length; i++) {
            const step = (w.seqs[i] as number) - (w.seqs[i - 1] as number);
            if (step <= 0) repeated++;
            else lost += step - 1;
          }
        }
        const gaps = watched.reduce((sum, w) => sum + w.gaps, 0);
        rows.push(
          `${adapter} ${code}, ${ms(exitedAfter)}; ${cleanly}/${CLIENTS}; ${ms(listening)}; ${ms(back)}; ${lost} / ${repeated} / ${gaps}`,
        );
        expect(code).toBe(0);
        // The exit time is a figure in the table; only a hang (far past closeTimeout) fails.
        expect(exitedAfter).toBeLessThan(CLOSE_TIMEOUT + 30_000);
        expect(cleanly).toBe(CLIENTS);
        expect(lost).toBe(0);
        expect(repeated).toBe(0);
        expect(gaps).toBe(0);

        // The second process shuts down as cleanly once the clients are gone.
        for (const w of watched) w.client.close();
        const idleSignalled = performance.now();
        second.process.kill('SIGTERM');
        const secondExit = await exited(second.process);
        idleExits.push(`${adapter} ${secondExit.code}, ${ms(performance.now() - idleSignalled)}`);
        expect(secondExit.code).toBe(0);
      } finally {
        clearInterval(pump);
        for (const w of watched) w.client.close();
        await publisher.close();
      }
    },
  );
});

describe('shutdown with a socket that never sent a request', () => {
  it('fetch (undici, which @ssekit/client uses in Node) opens a spare socket after an aborted stream', async () => {
    const app = await startApp('express', { broker: createBroker({ heartbeatInterval: 0, closeTimeout: 500 }) });
    let connections = 0;
    app.server.on('connection', () => connections++);
    try {
      const controller = new AbortController();
      const response = await fetch(`${app.url}/events`, { signal: controller.signal });
      const reader = response.body?.getReader();
      await reader?.read();
      controller.abort();
      await reader?.read().catch(() => undefined);
      await until(() => connections === 2, 'a second, unused connection', 2_000).catch(() => undefined);
      record(
        'fetch aborted mid-stream: connections the server then holds',
        `${connections} (the stream's + one spare that never sends a request)`,
      );
    } finally {
      await app.close();
    }
  });

  describe.each(ADAPTERS)('%s', (adapter) => {
    // Node's own server.close() waits forever on such a socket (it is not idle to Node, and
    // headersTimeout is no longer checked once closing); packages/core's closeServer test shows it.
    it('the documented shutdown (fastify: app.close(); others: closeServer) finishes within its grace', async () => {
      const app = await startApp(adapter, { broker: createBroker({ heartbeatInterval: 0, closeTimeout: 500 }) });
      const socket = await openSilent(app.port);
      try {
        // A hang guard: without the grace, the silent socket holds the close for minutes.
        expect(await settlesWithin(app.shutdown(500), 15_000)).toBe(true);
      } finally {
        socket.destroy();
      }
    });
  });
});
