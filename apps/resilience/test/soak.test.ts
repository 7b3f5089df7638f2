/**
 * Soak: thousands of connect/disconnect cycles of every kind (clean close, TCP reset, replay after
 * Last-Event-ID, abort before the head) per adapter, then a steady stream under load with client
 * churn on all four adapters at once. Each server runs in its own process: its heap (after full
 * collections), live handles and listeners must come back to where they started.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAPTERS, type AdapterName, RECOMMENDED_LIMITS } from '../src/adapters.js';
import { count, figures, mib, ms } from '../src/figures.js';
import { type LoopDelay, sleep, until } from '../src/metrics.js';
import { SeqClient } from '../src/seq-client.js';
import { type ServerChild, startServerChild } from '../src/server-child.js';
import type { Probe } from '../src/server-process.js';
import { SIZE, sized } from '../src/size.js';

const CYCLES = sized(500, 10_000);
const STEADY_MS = sized(20_000, 600_000);
const STEADY_CLIENTS = sized(50, 100);
/** Events per second per adapter in the steady stream. */
const RATE = sized(20, 50);
const record = figures('soak', 'Soak');
const servers: ServerChild[] = [];
const cycleFigures: string[] = [];
afterAll(async () => {
  if (cycleFigures.length > 0) {
    record(
      `${count(CYCLES)} cycles per adapter (close, reset, replay, abort): cycles/s; heap after vs before; handles grown; listeners`,
      cycleFigures.join(', '),
    );
  }
  await Promise.all(servers.map((server) => server.stop(3_000)));
});

const start = async (adapter: AdapterName, historySize = 200) => {
  const server = await startServerChild({
    adapter,
    broker: { heartbeatInterval: 1_000, history: { historySize }, closeTimeout: 1_000 },
    limits: RECOMMENDED_LIMITS,
  });
  servers.push(server);
  return server;
};

/** Handle types whose count must not grow (sockets, timers, …), compared with a baseline. */
function grown(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [type, n] of Object.entries(after)) if (n > (before[type] ?? 0)) diff[type] = n - (before[type] ?? 0);
  return diff;
}

/**
 * The server's probe once nothing has grown since `before`, or after 2 s. A read in flight is not a
 * leak: the dead-peer check reads /proc/net/tcp in the background (an `FSReqPromise` while it
 * runs), and a probe taken then counted it (a CI run failed on it). A leak stays and still fails.
 */
async function settledProbe(server: { call<T>(message: { cmd: 'probe' }): Promise<T> }, before: Probe): Promise<Probe> {
  let after = await server.call<Probe>({ cmd: 'probe' });
  for (let tries = 0; tries < 20 && Object.keys(grown(before.resources, after.resources)).length > 0; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = await server.call<Probe>({ cmd: 'probe' });
  }
  return after;
}

/** One connect/disconnect cycle of kind `kind` over a raw socket; resolves with the last id seen. */
function cycle(port: number, kind: number, lastId: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (how: 'end' | 'reset') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (how === 'reset') socket.resetAndDestroy();
      else socket.destroy();
      resolve(/id: (\S+)\n(?![\s\S]*id: )/.exec(text)?.[1] ?? lastId);
    };
    const timer = setTimeout(() => finish('end'), 2_000);
    socket.on('error', () => finish('end'));
    socket.on('close', () => finish('end'));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      if (kind === 0)
        finish('end'); // clean close after the head
      else if (kind === 1)
        finish('reset'); // RST after the head
      else if (kind === 2 && /\ndata: /.test(text.slice(text.indexOf('\r\n\r\n')))) finish('end'); // after the replay
    });
    const replay = kind === 2 && lastId ? `Last-Event-ID: ${lastId}\r\n` : '';
    socket.write(`GET /events?topic=t HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n${replay}\r\n`);
    if (kind === 3) setImmediate(() => finish('reset')); // gone before the head
  });
}

describe('soak', () => {
  it.each(ADAPTERS)(`%s: ${count(CYCLES)} connect/disconnect cycles leave heap, handles and listeners where they were`, async (adapter) => {
    const server = await start(adapter);
    await server.call({ cmd: 'publish-start', topic: 't', every: 20, batch: 1 });
    const run = async (cycles: number) => {
      let lastId = '';
      let next = 0;
      const worker = async () => {
        while (next < cycles) {
          const kind = next++ % 4;
          lastId = await cycle(server.port, kind, lastId);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      await until(
        async () => (await server.call<{ connections: number }>({ cmd: 'stats' })).connections === 0,
        'all streams freed',
        10_000,
      );
    };
    await run(200); // warm-up: compiled code, pools and caches settle
    await server.call({ cmd: 'publish-stop' });
    const before = await server.call<Probe>({ cmd: 'probe' });
    await server.call({ cmd: 'publish-start', topic: 't', every: 20, batch: 1 });
    const started = performance.now();
    await run(CYCLES);
    const took = performance.now() - started;
    await server.call({ cmd: 'publish-stop' });
    const after = await settledProbe(server, before);
    const growth = after.heap - before.heap;
    const handles = grown(before.resources, after.resources);
    cycleFigures.push(
      `${adapter} ${count((CYCLES / took) * 1000)}/s; ${mib(growth, true)}; ${Object.keys(handles).length === 0 ? 'none' : JSON.stringify(handles)}; ${
        JSON.stringify(after.listeners) === JSON.stringify(before.listeners) ? 'same' : 'changed'
      }`,
    );
    expect(after.connections).toBe(0);
    expect(growth).toBeLessThan(3 * 1024 * 1024);
    expect(handles).toEqual({});
    expect(after.listeners).toEqual(before.listeners);
    await server.stop();
  });

  it(`a steady stream for ${ms(STEADY_MS)} on all four adapters at once: ${STEADY_CLIENTS} clients each, ${RATE} events/s, 2% of clients dropped every second; nothing lost, heap flat`, async () => {
    const fleet = await Promise.all(
      ADAPTERS.map(async (adapter) => {
        // History: 10 s of events at the full rate, plenty for the churn's reconnects. Its memory
        // (historySize events per channel) is part of the baseline.
        const server = await start(adapter, 500);
        const baseline = await server.call<Probe>({ cmd: 'probe' });
        const clients = Array.from({ length: STEADY_CLIENTS }, () => new SeqClient({ url: `${server.url}/events?topic=t` }));
        for (const client of clients) client.connect();
        return { adapter, server, baseline, clients, heaps: [] as number[] };
      }),
    );
    const allClients = fleet.flatMap((f) => f.clients);
    try {
      await until(() => allClients.every((c) => c.isOpen), 'every client open', 20_000);
      const every = 50;
      const batch = Math.max(1, Math.round((RATE * every) / 1000));
      for (const { server } of fleet) {
        await server.call({ cmd: 'publish-start', topic: 't', every, batch, pad: 200 });
        await server.call({ cmd: 'loop-reset' });
      }
      const sampleEvery = sized(5_000, 30_000);
      const end = performance.now() + STEADY_MS;
      let nextSample = performance.now() + sampleEvery / 2;
      let drops = 0;
      while (performance.now() < end) {
        await sleep(1_000);
        for (const { clients } of fleet) {
          for (let i = 0; i < Math.ceil(clients.length / 50); i++) {
            clients[Math.floor(Math.random() * clients.length)]?.drop();
            drops++;
          }
        }
        if (performance.now() >= nextSample) {
          nextSample += sampleEvery;
          for (const f of fleet) f.heaps.push((await f.server.call<Probe>({ cmd: 'probe' })).heap);
        }
      }
      const loops: LoopDelay[] = [];
      const finals: number[] = [];
      for (const { server } of fleet) {
        loops.push(await server.call<LoopDelay>({ cmd: 'loop' }));
        finals.push((await server.call<{ seq: number }>({ cmd: 'publish-stop' })).seq);
      }
      for (const [i, f] of fleet.entries()) {
        await Promise.all(f.clients.map((c) => c.until((x) => x.lastSeq >= (finals[i] ?? 0), 30_000)));
      }
      const lost = allClients.reduce((sum, c) => sum + c.missing, 0);
      const duplicated = allClients.reduce((sum, c) => sum + c.duplicates, 0);
      const delivered = allClients.reduce((sum, c) => sum + c.received, 0);
      const underLoad = fleet.map((f) => f.heaps.at(-1) ?? 0);
      for (const client of allClients) client.close();
      const results = [];
      for (const [i, f] of fleet.entries()) {
        await until(async () => (await f.server.call<{ connections: number }>({ cmd: 'stats' })).connections === 0, 'freed', 10_000);
        const after = await settledProbe(f.server, f.baseline);
        results.push({ f, after, growth: after.heap - f.baseline.heap, loop: loops[i] as LoopDelay, underLoad: underLoad[i] ?? 0 });
      }
      record(
        `steady stream ${ms(STEADY_MS)}, 4 adapters × ${STEADY_CLIENTS} clients × ${RATE} events/s: client drops; events delivered; lost; duplicated`,
        `${count(drops)}; ${count(delivered)}; ${lost}; ${duplicated}`,
      );
      record(
        'steady stream: server heap first sample → last sample under load; after the clients left vs before they came; loop delay p99',
        results
          .map(
            ({ f, growth, loop, underLoad }) =>
              `${f.adapter} ${mib(f.heaps[0] ?? 0)} → ${mib(underLoad)}; ${mib(growth, true)}; ${ms(loop.p99)}`,
          )
          .join(', '),
      );
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      for (const { f, after, growth } of results) {
        expect(growth, `${f.adapter} heap`).toBeLessThan(4 * 1024 * 1024);
        expect(grown(f.baseline.resources, after.resources), `${f.adapter} handles`).toEqual({});
        expect(after.listeners, `${f.adapter} listeners`).toEqual(f.baseline.listeners);
        // Under load the heap must not keep growing: the last sample within 4 MiB of the first.
        expect((f.heaps.at(-1) ?? 0) - (f.heaps[0] ?? 0), `${f.adapter} heap under load`).toBeLessThan(4 * 1024 * 1024);
      }
      if (SIZE === 'full') expect(fleet.every((f) => f.heaps.length >= 10)).toBe(true);
    } finally {
      for (const client of allClients) client.close();
    }
  });
});
