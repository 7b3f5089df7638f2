/**
 * Hostile requests on every adapter: oversized and garbage Last-Event-ID, CR/LF injection attempts,
 * thousands of topics, query-string tricks, many streams from one client key. Each must end in a
 * clear status or a bounded answer, never a crash, a hang or memory that stays.
 */
import { createBroker, GAP_EVENT } from '@ssekit/core';
import { openSse } from '@ssekit/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, RECOMMENDED_LIMITS, type RunningApp, startApp } from '../src/adapters.js';
import { adapterFigures, count, mib, ms } from '../src/figures.js';
import { settledHeap, sleep, until } from '../src/metrics.js';
import { answered, exchange, getRequest, getRequestBytes, type RawAnswer } from '../src/raw-http.js';
import { sized } from '../src/size.js';

const REPEAT = sized(100, 1_000);
const figuresOf = adapterFigures('hostile-requests', 'Hostile requests', ADAPTERS);
const _record = figuresOf.record;
const note = (adapter: string, what: string, value: string) => figuresOf.note(what, adapter, value);

function gapOf(answer: RawAnswer): { lastEventId: unknown; reason: unknown } {
  expect(answer.status).toBe(200);
  expect(answer.stream.events).toHaveLength(1);
  const [gap] = answer.stream.events;
  expect(gap?.type).toBe(GAP_EVENT);
  return JSON.parse(gap?.data ?? '{}') as { lastEventId: unknown; reason: unknown };
}

/** A status, or "200 + gap" for a stream that answered with one gap event. */
function outcomeOf(answer: RawAnswer): string {
  if (answer.status === 200) return answer.stream.events[0]?.type === GAP_EVENT ? '200 + gap' : '200';
  return answer.status === 0 ? (answer.closed ? 'closed, no answer' : 'no answer') : String(answer.status);
}

afterAll(figuresOf.flush);

describe.each(ADAPTERS)('%s under hostile requests', (name) => {
  let app: RunningApp;
  let baseline = 0;

  beforeAll(async () => {
    const broker = createBroker({
      heartbeatInterval: 1_000,
      maxConnectionsPerClient: 4,
      history: { historySize: 100 },
      closeTimeout: 1_000,
    });
    app = await startApp(name, { broker, limits: RECOMMENDED_LIMITS });
    // Warm the routes once so the baseline includes compiled handlers.
    await exchange(app.port, getRequest('/events?topic=warm', ['Connection: close']), { until: answered(0), timeout: 300 });
    await until(() => app.broker.stats().connections === 0, 'warm-up stream closed');
    baseline = await settledHeap();
  });

  afterEach(async () => {
    await until(() => app.broker.stats().connections === 0, `${name}: every stream closed after the test`, 5_000);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('an oversized Last-Event-ID (10 KB) opens the stream with one "unknown" gap, at once', async () => {
    const answer = await exchange(app.port, getRequest('/events?topic=t', [`Last-Event-ID: ${'x'.repeat(10 * 1024)}`]), {
      until: answered(1),
    });
    expect(gapOf(answer)).toEqual({ lastEventId: null, reason: 'unknown' });
    note(name, '10 KB Last-Event-ID', `${outcomeOf(answer)} in ${ms(answer.ms)}`);
  });

  it('binary bytes in Last-Event-ID: non-UTF-8 kept as Latin-1, UTF-8 decoded, control bytes refused by the parser', async () => {
    const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i);
    const highAnswer = await exchange(app.port, getRequestBytes('/events', [['Last-Event-ID', high]]), { until: answered(1) });
    expect(gapOf(highAnswer)).toEqual({ lastEventId: Buffer.from(high).toString('latin1'), reason: 'unknown' });

    const utf8 = await exchange(app.port, getRequestBytes('/events', [['Last-Event-ID', Buffer.from('é✓😀', 'utf8')]]), {
      until: answered(1),
    });
    expect(gapOf(utf8)).toEqual({ lastEventId: 'é✓😀', reason: 'unknown' });

    const controls = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0x7f];
    const seen = new Set<string>();
    for (const byte of controls) {
      const answer = await exchange(app.port, getRequestBytes('/events', [['Last-Event-ID', Uint8Array.of(0x61, byte, 0x62)]]), {
        until: answered(1),
      });
      // Node's HTTP parser refuses control characters (DEL included) in header values before any
      // framework code runs; were one let through, the broker would answer with a gap.
      if (answer.status === 200) expect(gapOf(answer).reason).toBe('unknown');
      else expect(answer.status).toBe(400);
      seen.add(outcomeOf(answer));
    }
    note(
      name,
      'control bytes in Last-Event-ID (NUL, 0x01, BEL, BS, VT, FF, SO, ESC, US, DEL) / bytes 0x80–0xFF / UTF-8',
      `${[...seen].join(' or ')} / ${outcomeOf(highAnswer)} (Latin-1 kept) / ${outcomeOf(utf8)} (decoded)`,
    );
  });

  it('CR/LF injection through Last-Event-ID never reaches the stream', async () => {
    const injected = (answer: RawAnswer) =>
      answer.stream.events.some((e) => e.type !== GAP_EVENT || e.id !== undefined) || answer.stream.unknownFields.length > 0;
    // A CRLF ends the header: what follows is just another (unknown) request header.
    const split = await exchange(app.port, getRequest('/events', ['Last-Event-ID: x', 'id: injected', 'event: injected', 'data: boom']), {
      until: answered(1),
    });
    expect(gapOf(split)).toEqual({ lastEventId: 'x', reason: 'unknown' });
    expect(injected(split)).toBe(false);
    // A bare CR or LF inside the value.
    const bareCr = await exchange(app.port, getRequest('/events', ['Last-Event-ID: x\rid: injected']), { until: answered(1) });
    const bareLf = await exchange(app.port, getRequest('/events', ['Last-Event-ID: x\nevent: injected']), { until: answered(1) });
    for (const answer of [bareCr, bareLf]) {
      expect(injected(answer)).toBe(false);
      expect(answer.stream.unknownFields).toEqual([]);
      if (answer.status === 200) expect(answer.stream.events.map((e) => e.type)).toEqual([GAP_EVENT]);
      else expect(answer.status).toBe(400);
    }
    note(name, 'bare CR / bare LF in Last-Event-ID', `${outcomeOf(bareCr)} / ${outcomeOf(bareLf)}`);
    // Percent-encoded CR, LF and NUL in the lastEventId query parameter reach the broker decoded.
    const query = encodeURIComponent('x\r\nevent: injected\r\nid: injected\r\ndata: boom\0');
    const encoded = await exchange(app.port, getRequest(`/events?lastEventId=${query}`), { until: answered(1) });
    expect(gapOf(encoded)).toEqual({ lastEventId: 'x\r\nevent: injected\r\nid: injected\r\ndata: boom\0', reason: 'unknown' });
    expect(encoded.stream.unknownFields).toEqual([]);
    expect(injected(encoded)).toBe(false);
  });

  it('an empty Last-Event-ID header counts as none: a live stream, no gap', async () => {
    const gapsBefore = app.broker.stats().gaps;
    const answer = await exchange(app.port, getRequest('/events', ['Last-Event-ID: ']), { until: answered(1), timeout: 500 });
    note(name, 'empty Last-Event-ID header', outcomeOf(answer));
    expect(answer.status).toBe(200);
    expect(answer.stream.events).toEqual([]);
    expect(app.broker.stats().gaps).toBe(gapsBefore);
  });

  it('thousands of topics: 400 past maxTopicsPerConnection, 431 past the header limit, bounded either way', async () => {
    const topics = (n: number) => Array.from({ length: n }, (_, i) => `topic=t${i}`).join('&');
    const over = await exchange(app.port, getRequest(`/events?${topics(65)}`), { until: answered(1) });
    expect(over.status).toBe(400);
    const huge = await exchange(app.port, getRequest(`/events?${topics(5_000)}`));
    expect(huge.status).toBe(431);
    note(name, '65 topics / 5,000 topics (default 16 KB header limit)', `${over.status} / ${huge.status} in ${ms(huge.ms)}`);

    // With the header limit raised, 5,000 topics reach the broker, which refuses them with 400.
    const roomy = await startApp(name, {
      broker: createBroker({ heartbeatInterval: 0, closeTimeout: 500 }),
      limits: { ...RECOMMENDED_LIMITS, maxHeaderSize: 256 * 1024 },
    });
    try {
      const before = await settledHeap();
      let slowest = 0;
      for (let i = 0; i < REPEAT; i++) {
        const answer = await exchange(roomy.port, getRequest(`/events?${topics(5_000)}`, ['Connection: close']));
        expect(answer.status).toBe(400);
        expect(answer.text).toContain('Too many topics');
        slowest = Math.max(slowest, answer.ms);
      }
      const growth = (await settledHeap()) - before;
      expect(roomy.broker.stats()).toMatchObject({ connections: 0, rejected: REPEAT });
      expect(growth).toBeLessThan(8 * 1024 * 1024);
      note(
        name,
        `${count(REPEAT)} requests with 5,000 topics (header limit 256 KB): status, slowest, heap after`,
        `400, ${ms(slowest)}, ${mib(growth, true)}`,
      );
    } finally {
      await roomy.close();
    }
  });

  it('query-string tricks: duplicates, encodings, reserved-looking names, empty and long values', async () => {
    // Duplicates and percent-encoded names: one subscription, one delivery.
    const dup = await openSse(`${app.url}/events?topic=a&topic=a&topic=%61`);
    // Names that look like channels (`@client`, `*` broadcast) or prototype keys are just topics.
    const reserved = await openSse(`${app.url}/events?topic=%40ada&topic=*&topic=__proto__&topic=constructor&topic=hasOwnProperty`);
    try {
      await until(() => app.broker.stats().connections === 2, 'two streams');
      await app.broker.send('ada', { event: 'private', data: 'for ada only' });
      await app.broker.publish(['a', '__proto__', 'constructor'], { event: 'news', data: 'n' });
      await app.broker.broadcast({ event: 'all', data: 'b' });
      await dup.waitForEvents(2);
      await reserved.waitForEvents(2);
      await sleep(50);
      expect(dup.events.map((e) => e.data)).toEqual(['n', 'b']);
      expect(reserved.events.map((e) => e.data)).toEqual(['n', 'b']);
    } finally {
      dup.close();
      reserved.close();
    }
  });

  it('garbage in stream options (retry=abc, retry=-1, bad percent-encoding, empty or 257-char topics) is refused, never a crash', async () => {
    const cases: Array<[string, string]> = [
      ['?topic=', '400'],
      [`?topic=${'x'.repeat(257)}`, '400'],
      ['?topic=%ZZ&topic=%E0%A4%A', 'any'],
      ['?retry=abc', 'any'],
      ['?retry=-1', 'any'],
      ['?retry=1e999', 'any'],
      [`?client=${'k'.repeat(8_000)}`, 'any'],
    ];
    const seen: string[] = [];
    for (const [query, want] of cases) {
      const answer = await exchange(app.port, getRequest(`/events${query}`, ['Connection: close']), { until: answered(0), timeout: 1_000 });
      expect(answer.status).not.toBe(0);
      if (want !== 'any') expect(String(answer.status)).toBe(want);
      if (answer.status === 200) answer.socket.destroy();
      seen.push(`${query.length > 24 ? `${query.slice(0, 16)}…` : query}→${answer.status}`);
    }
    note(name, 'garbage stream options', seen.join(' '));
    // The server still serves.
    const health = await exchange(app.port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(health.status).toBe(200);
  });

  it('a huge query: 15 KB is served, past the 16 KB header limit Node answers 431', async () => {
    const fits = await exchange(app.port, getRequest(`/events?topic=t&pad=${'p'.repeat(15_000)}`), { until: answered(0), timeout: 1_000 });
    expect(fits.status).toBe(200);
    const tooBig = await exchange(app.port, getRequest(`/events?topic=t&pad=${'p'.repeat(20_000)}`));
    expect(tooBig.status).toBe(431);
    note(name, '15 KB / 20 KB query', `${fits.status} / ${tooBig.status}`);
  });

  it('many streams from one client key: exactly maxConnectionsPerClient admitted, the rest 429 with Retry-After', async () => {
    const attempts = sized(50, 500);
    const answers = await Promise.all(
      Array.from({ length: attempts }, () =>
        exchange(app.port, getRequest('/events?client=greedy'), { until: answered(0), keepOpen: true, timeout: 5_000 }),
      ),
    );
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(admitted).toHaveLength(4);
    expect(refused).toHaveLength(attempts - 4);
    for (const answer of refused) expect(answer.headers['retry-after']).toBe('5');
    expect(app.broker.stats().connections).toBe(4);
    for (const answer of answers) answer.socket.destroy();
    await until(() => app.broker.stats().connections === 0, 'all closed');
    // The per-client count went back down: the key may open streams again.
    const again = await exchange(app.port, getRequest('/events?client=greedy'), { until: answered(0), timeout: 1_000 });
    expect(again.status).toBe(200);
    again.socket.destroy();
    note(name, `${attempts} concurrent streams for one client key (cap 4)`, `${admitted.length} × 200, ${refused.length} × 429`);
  });

  it(`${count(REPEAT)} rounds of every hostile request leave the heap where it was`, async () => {
    const rounds = [
      () => exchange(app.port, getRequest('/events?topic=t', [`Last-Event-ID: ${'x'.repeat(10 * 1024)}`]), { until: answered(1) }),
      () => exchange(app.port, getRequest(`/events?lastEventId=${encodeURIComponent('a\r\nb\0')}`), { until: answered(1) }),
      () => exchange(app.port, getRequestBytes('/events', [['Last-Event-ID', Uint8Array.of(0xff, 0x00, 0x0a)]]), { until: answered(1) }),
      () =>
        exchange(app.port, getRequest(`/events?${Array.from({ length: 65 }, (_, i) => `topic=${i}`).join('&')}`), { until: answered(1) }),
      () => exchange(app.port, getRequest(`/events?pad=${'p'.repeat(20_000)}`), { until: answered(1) }),
    ];
    for (let i = 0; i < REPEAT; i++) {
      // Five at a time: one of each kind.
      await Promise.all(rounds.map((round) => round()));
    }
    await until(() => app.broker.stats().connections === 0, 'all closed');
    const growth = (await settledHeap()) - baseline;
    note(name, `heap after ${count(REPEAT * rounds.length)} hostile requests vs before`, mib(growth, true));
    expect(growth).toBeLessThan(8 * 1024 * 1024);
  });
});
