/**
 * Reconnect storm: thousands of clients on one server, all dropped at once by a server-side
 * disconnect while events keep being published, all reconnecting at once with Last-Event-ID.
 * Every client must catch up with no event lost or repeated (sequence numbers), and the server
 * must stay responsive (event-loop delay measured in the server process, /health answered).
 */
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAPTERS, type AdapterName, RECOMMENDED_LIMITS } from '../src/adapters.js';
import { count, figures, ms } from '../src/figures.js';
import { type LoopDelay, percentile, sleep, until } from '../src/metrics.js';
import { SeqClient } from '../src/seq-client.js';
import { type ServerChild, startServerChild } from '../src/server-child.js';
import { SIZE, sized } from '../src/size.js';

const CLIENTS = sized(500, 5_000);
/** Events per second published throughout. */
const RATE = sized(20, 10);
/** Listen backlog for the storm (Node's default is 511; the kernel caps it at net.core.somaxconn). */
const BACKLOG = 4_096;
const record = figures('reconnect-storm', 'Reconnect storm');
const rows: string[] = [];
const servers: ServerChild[] = [];
afterAll(async () => {
  if (rows.length > 0) {
    record(
      `${count(CLIENTS)} clients, ${RATE} events/s: closing them all (one loop turn); all reconnected after (refused attempts); all caught up after; lost / repeated; server loop delay p99 / max; /health p99`,
      rows.join(', '),
    );
  }
  await Promise.all(servers.map((server) => server.stop(3_000)));
});

/**
 * GET /health every 50 ms over one kept-alive connection (opened before the storm, so the probe
 * measures the server's responsiveness, not the listen queue); resolves with the latencies.
 */
async function healthProbe(url: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<void>((resolve) => {
      http
        .get(`${url}/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        })
        .on('error', () => resolve());
    });
  await get();
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      await get();
      latencies.push(performance.now() - started);
      await sleep(50);
    }
    agent.destroy();
    return latencies;
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

/** Runs one storm; returns the figures row. */
async function storm(
  adapter: AdapterName,
  backlog: number | undefined,
  reconnectTimeout: number,
): Promise<{ row: string; loop: LoopDelay; healthP99: number }> {
  const server = await startServerChild({
    adapter,
    broker: { heartbeatInterval: 5_000, history: { historySize: 20_000 }, closeTimeout: 1_000 },
    limits: { ...RECOMMENDED_LIMITS, ...(backlog !== undefined && { backlog }) },
  });
  servers.push(server);
  const clients = Array.from({ length: CLIENTS }, () => new SeqClient({ url: `${server.url}/events?topic=t`, retryDelay: 100 }));
  try {
    // Connect in waves, as real clients arrive.
    for (let i = 0; i < clients.length; i += 250) {
      for (const client of clients.slice(i, i + 250)) client.connect();
      await until(() => clients.slice(i, i + 250).every((c) => c.isOpen), 'wave open', 30_000);
    }
    const every = 50;
    await server.call({ cmd: 'publish-start', topic: 't', every, batch: Math.max(1, Math.round((RATE * every) / 1000)) });
    await until(() => clients.every((c) => c.lastEventId !== ''), 'every client has an id to resume from', 30_000);
    const failuresBefore = clients.reduce((sum, c) => sum + c.failures, 0);
    await server.call({ cmd: 'loop-reset' });
    const health = await healthProbe(server.url);
    const dropped = performance.now();
    const { closed, ms: closing } = await server.call<{ closed: number; ms: number }>({ cmd: 'disconnect-all' });
    expect(closed).toBe(CLIENTS);
    await until(() => clients.every((c) => c.opens >= 2), 'every client reconnected', reconnectTimeout);
    const reconnected = performance.now() - dropped;
    // Caught up: every client has what was published up to the moment the last one got back.
    const { seq: target } = await server.call<{ seq: number }>({ cmd: 'seq' });
    await Promise.all(clients.map((c) => c.until((x) => x.lastSeq >= target, 60_000)));
    const caughtUp = performance.now() - dropped;
    await sleep(300);
    const { seq: last } = await server.call<{ seq: number }>({ cmd: 'publish-stop' });
    await Promise.all(clients.map((c) => c.until((x) => x.lastSeq >= last, 60_000)));
    const loop = await server.call<LoopDelay>({ cmd: 'loop' });
    const latencies = await health.stop();
    const lost = clients.reduce((sum, c) => sum + c.missing, 0);
    const repeated = clients.reduce((sum, c) => sum + c.duplicates, 0);
    const gaps = clients.reduce((sum, c) => sum + c.gaps, 0);
    const refused = clients.reduce((sum, c) => sum + c.failures, 0) - failuresBefore;
    expect(lost).toBe(0);
    expect(repeated).toBe(0);
    expect(gaps).toBe(0);
    expect(clients.every((c) => c.lastSeq === last)).toBe(true);
    const healthP99 = percentile(latencies, 99);
    const row = `${adapter}${backlog === undefined ? ' (default backlog 511)' : ''} ${ms(closing)}; ${ms(reconnected)} (${refused}); ${ms(caughtUp)}; ${lost} / ${repeated}; ${ms(loop.p99)} / ${ms(loop.max)}; ${ms(healthP99)}`;
    return { row, loop, healthP99 };
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
}

describe('reconnect storm', () => {
  it.each(ADAPTERS)(
    `%s: ${count(CLIENTS)} clients reconnect at once with Last-Event-ID (listen backlog ${BACKLOG}); all catch up, none lose or repeat an event, the server stays responsive`,
    async (adapter) => {
      const { row, loop, healthP99 } = await storm(adapter, BACKLOG, 60_000);
      rows.push(row);
      // Event-loop delay and /health latency are figures (in the table above), not assertions: on a
      // loaded machine they measure the machine. Only a hang fails the test: a loop stalled for
      // half a minute, or /health never answering.
      expect(loop.max).toBeLessThan(30_000);
      expect(Number.isFinite(healthP99)).toBe(true);
    },
  );

  // Past the listen backlog the kernel drops SYNs and clients retry after 1 s, 3 s, 7 s, 15 s, …:
  // the tail of a storm bigger than the backlog is set by TCP's backoff, not by the server.
  it.runIf(SIZE === 'full')(
    'fastify with the default listen backlog (511): everyone still catches up, the tail is TCP SYN backoff',
    async () => {
      rows.push((await storm('fastify', undefined, 180_000)).row);
    },
  );
});
