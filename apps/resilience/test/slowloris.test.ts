/**
 * Slowloris: clients that send their request head one byte per second. What bounds them is Node's
 * `headersTimeout` / `requestTimeout` (checked every `connectionsCheckingInterval`), which each
 * framework leaves at its own default. The test reports those defaults, shows that tuned limits
 * close every such socket with 408 while a real stream keeps flowing, and that the limits never
 * cut a live event stream (they only cover receiving the request).
 */
import { createBroker } from '@ssekit/core';
import { openSse } from '@ssekit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp } from '../src/adapters.js';
import { count, figures, mib, ms } from '../src/figures.js';
import { percentile, settledHeap, sleep, until } from '../src/metrics.js';
import { SIZE, sized } from '../src/size.js';
import { slowloris } from '../src/slowloris.js';

const SOCKETS = sized(50, 500);
const LIMITS = { headersTimeout: 1_000, requestTimeout: 2_000, connectionsCheckingInterval: 250 };
const record = figures('slowloris', 'Slowloris');
const outcome: Record<string, string[]> = {};
const note = (what: string, value: string) => {
  outcome[what] ??= [];
  outcome[what].push(value);
};

describe('slowloris', () => {
  it("reports each framework's default request timeouts", async () => {
    for (const name of ADAPTERS) {
      const app = await startApp(name, { broker: createBroker({ heartbeatInterval: 0 }) });
      const { headersTimeout, requestTimeout, timeout, keepAliveTimeout } = app.server;
      note(
        'defaults: headersTimeout / requestTimeout / socket timeout / keepAliveTimeout',
        `${name} ${headersTimeout} / ${requestTimeout} / ${timeout} / ${keepAliveTimeout} ms`,
      );
      // Every framework keeps Node's 60 s head timeout; only Fastify turns the request timeout off.
      expect(headersTimeout).toBe(60_000);
      expect(requestTimeout).toBe(name === 'fastify' ? 0 : 300_000);
      await app.close();
    }
    record(
      'defaults: headersTimeout / requestTimeout / socket timeout / keepAliveTimeout',
      outcome['defaults: headersTimeout / requestTimeout / socket timeout / keepAliveTimeout']?.join(', ') ?? '',
    );
  });

  it(`${count(SOCKETS)} slowloris sockets at 1 byte/s against each adapter (all four at once) are closed with 408 within headersTimeout + check interval; live streams are unaffected`, async () => {
    const apps = await Promise.all(
      ADAPTERS.map((name) => startApp(name, { broker: createBroker({ heartbeatInterval: 500, closeTimeout: 500 }), limits: LIMITS })),
    );
    try {
      const before = await settledHeap();
      await Promise.all(
        apps.map(async (app) => {
          const attack = Array.from({ length: SOCKETS }, () => slowloris(app.port, { byteInterval: 1_000, maxMs: 10_000 }));
          await sleep(200);
          // A real client during the attack: its stream opens and carries events at once.
          const opened = performance.now();
          const reader = await openSse(`${app.url}/events?topic=live`);
          await until(() => app.broker.stats().connections === 1, 'live stream open');
          await app.broker.publish('live', { data: 'first' });
          await reader.waitForEvents(1);
          const firstEvent = performance.now() - opened;
          const results = await Promise.all(attack);
          const closedAfter = results.map((r) => r.closedAfter ?? Number.POSITIVE_INFINITY);
          const bound = LIMITS.headersTimeout + LIMITS.connectionsCheckingInterval + 1_000;
          expect(Math.max(...closedAfter)).toBeLessThan(bound);
          expect(results.every((r) => r.status === 408)).toBe(true);
          // The live stream outlives requestTimeout: the limits only cover receiving the request.
          await sleep(Math.max(0, opened + LIMITS.requestTimeout + 3 * LIMITS.connectionsCheckingInterval - performance.now()));
          expect(reader.ended()).toBe(false);
          await app.broker.publish('live', { data: 'second' });
          await reader.waitForEvents(2);
          reader.close();
          await until(() => app.broker.stats().connections === 0, 'closed');
          note(
            `${count(SOCKETS)} sockets at 1 byte/s, headersTimeout 1 s, check every 250 ms: closed after p50 / max (status); live stream's first event after`,
            `${app.name} ${ms(percentile(closedAfter, 50))} / ${ms(Math.max(...closedAfter))} (408); ${ms(firstEvent)}`,
          );
        }),
      );
      const growth = (await settledHeap()) - before;
      record(`heap after ${count(SOCKETS * ADAPTERS.length)} slowloris sockets vs before`, mib(growth, true));
      expect(growth).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  it.runIf(SIZE === 'full')(
    'with the framework defaults, one slowloris socket lives until headersTimeout (60 s) + the 30 s check interval',
    async () => {
      const apps = await Promise.all(ADAPTERS.map((name) => startApp(name, { broker: createBroker({ heartbeatInterval: 0 }) })));
      try {
        const results = await Promise.all(apps.map((app) => slowloris(app.port, { byteInterval: 1_000, maxMs: 150_000 })));
        for (const [i, result] of results.entries()) {
          note(
            'one socket at 1 byte/s against the defaults: held open for (bytes sent)',
            `${ADAPTERS[i]} ${result.closedAfter === undefined ? '> 150 s' : ms(result.closedAfter)} (${result.bytesSent} B)`,
          );
          expect(result.closedAfter).toBeDefined();
        }
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    },
  );

  afterAll(() => {
    for (const [what, values] of Object.entries(outcome)) if (!what.startsWith('defaults')) record(what, values.join(', '));
  });
});
