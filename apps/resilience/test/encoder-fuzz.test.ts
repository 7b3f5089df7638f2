/**
 * Encoder fuzzing: generated events with hostile text go through core's encoder and back through
 * two parsers (eventsource-parser and the spec-step oracle), in streams cut at random byte
 * positions. No event may split, merge or gain a field; every invalid field must raise the typed
 * error. A second part sends valid events through a real broker and adapter to a real socket.
 */
import { createContractBroker } from '@ssekit/contract/app';
import { encodeEvent, formatEvent, isSseError, type SseEvent } from '@ssekit/core';
import { openSse } from '@ssekit/test-utils';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAPTERS, type RunningApp, startApp } from '../src/adapters.js';
import { count, figures } from '../src/figures.js';
import { until } from '../src/metrics.js';
import { SIZE, sized } from '../src/size.js';
import { normalizeLineEnds, parseEventStream, wellFormed } from '../src/sse-oracle.js';

const EVENTS = sized(10_000, 100_000);
const WIRE_EVENTS = sized(2_000, 20_000);
const BATCH = 10;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const record = figures('encoder-fuzz', 'Encoder fuzzing');

// Printed so a failure can be replayed: FUZZ_SEED=<seed> pnpm --filter @ssekit/resilience test encoder
console.log(`encoder fuzz: SIZE=${SIZE} FUZZ_SEED=${SEED}`);

/** Pieces hostile text is made of: every line ending and mix, NUL, separators, lone surrogates, field look-alikes. */
const hostilePiece = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\n\r', '\r\r\n', '\n\n', '\r\n\r\n', '\r\r', '\n\r\n'),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\0',
      '\u2028',
      '\u2029',
      '\u0085',
      '\uFEFF',
      '\u000B',
      '\u000C',
      '\u001B',
      '\t',
      ' ',
      ':',
      ': ',
      'data:',
      'data: x',
      'id:',
      'id: 1',
      'event:',
      'event: x',
      'retry: 1',
      '\uD800',
      '\uDBFF',
      '\uDC00',
      '\uDFFF',
      '\uDBFF\uDFFF',
      '\uD83D\uDE00',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)) },
);
const hostileText = fc.string({ unit: hostilePiece, maxLength: 24 });
const longText = fc.integer({ min: 1_000, max: 12_000 }).map((n) => 'x'.repeat(n));
const text = fc.oneof({ weight: 20, arbitrary: hostileText }, { weight: 1, arbitrary: longText });
/** Text with at least one CR or LF somewhere. */
const withLineBreak = fc
  .tuple(hostileText, fc.constantFrom('\r', '\n', '\r\n'), hostileText)
  .map(([before, lineBreak, after]) => before + lineBreak + after);
const withoutLineBreaks = text.map((t) => t.replace(/[\r\n]/g, ''));

/** Values a caller might pass as `data`, including ones the serializer refuses. */
const unserializable = fc.constantFrom<unknown>(10n, Symbol('s'), () => 1, { toJSON: () => undefined }, { toJSON: () => 1n });
const circular = fc.constant(null).map(() => {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
});
const dataArb = fc.oneof(
  { weight: 10, arbitrary: text },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.oneof(unserializable, circular) },
);
const eventNameArb = fc.oneof(
  { weight: 12, arbitrary: withoutLineBreaks },
  { weight: 2, arbitrary: fc.constantFrom('', 'message', 'ssekit:gap', 'data', 'id: 1', ' lead', 'trail ', '\0') },
  { weight: 1, arbitrary: withLineBreak },
);
const idArb = fc.oneof(
  { weight: 10, arbitrary: withoutLineBreaks.map((t) => t.replace(/\0/g, '')) },
  {
    weight: 3,
    arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1e21, 5e-324)),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      withLineBreak,
      hostileText.map((t) => `${t}\0${t}`),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
);
const retryArb = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.nat(), fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER)) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer({ max: -1 }),
      fc.double({ min: 0.001, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 1e300),
    ),
  },
);
const eventArb = fc.record(
  { event: eventNameArb, data: dataArb, id: idArb, retry: retryArb, comment: text },
  { requiredKeys: [] },
) as fc.Arbitrary<SseEvent>;

type Code = 'INVALID_EVENT_NAME' | 'INVALID_ID' | 'INVALID_RETRY' | 'SERIALIZE_FAILED';

/** The error the encoder must raise, worked out independently of it (fields in encoder order). */
function expectedError(event: SseEvent): { code: Code; field: string } | undefined {
  if (event.event !== undefined && /[\r\n]/.test(event.event)) return { code: 'INVALID_EVENT_NAME', field: 'event' };
  if (event.id !== undefined) {
    const bad = typeof event.id === 'number' ? !Number.isFinite(event.id) : /[\r\n\0]/.test(event.id);
    if (bad) return { code: 'INVALID_ID', field: 'id' };
  }
  if (event.retry !== undefined && !(Number.isSafeInteger(event.retry) && event.retry >= 0))
    return { code: 'INVALID_RETRY', field: 'retry' };
  if (event.data !== undefined && typeof event.data !== 'string') {
    try {
      if (typeof JSON.stringify(event.data) !== 'string') return { code: 'SERIALIZE_FAILED', field: 'data' };
    } catch {
      return { code: 'SERIALIZE_FAILED', field: 'data' };
    }
  }
  return undefined;
}

/** What a client must see for a valid event: one event, or nothing for a control frame. */
interface Expected {
  dispatched: { event: string | undefined; data: string; id: string | undefined } | undefined;
  retry: number | undefined;
  comments: string[];
}

function expectedOf(event: SseEvent): Expected {
  const control = event.data === undefined && event.event === undefined && event.id === undefined;
  const raw = event.data === undefined ? '' : typeof event.data === 'string' ? event.data : (JSON.stringify(event.data) as string);
  return {
    dispatched: control
      ? undefined
      : {
          event: event.event === undefined || event.event === '' ? undefined : wellFormed(event.event),
          data: normalizeLineEnds(wellFormed(raw)),
          id: event.id === undefined ? undefined : wellFormed(String(event.id)),
        },
    retry: event.retry === undefined ? undefined : Math.abs(event.retry),
    comments: event.comment === undefined ? [] : event.comment === '' ? [''] : wellFormed(event.comment).split(/\r\n|\r|\n/),
  };
}

const ALLOWED_LINE = /^(data: |event: |id: |retry: |: |:$)/;

/** Feeds `bytes` to eventsource-parser in pieces cut at `cuts` (byte offsets), decoding UTF-8 as a stream. */
function parseInPieces(bytes: Uint8Array, cuts: number[]) {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const errors: unknown[] = [];
  const parser = createParser({
    onEvent: (message) => events.push(message),
    onComment: (comment) => comments.push(comment),
    onRetry: (retry) => retries.push(retry),
    onError: (error) => errors.push(error),
  });
  const decoder = new TextDecoder();
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
    parser.feed(decoder.decode(bytes.subarray(at, cut), { stream: true }));
    at = cut;
  }
  parser.feed(decoder.decode(bytes.subarray(at)));
  return { events, comments, retries, errors };
}

describe('encoder fuzzing', () => {
  it(`${count(EVENTS)} generated events: exact round trip through two parsers, typed errors for invalid fields`, () => {
    let generated = 0;
    let valid = 0;
    let dispatched = 0;
    const errorsByCode: Record<string, number> = {};
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: BATCH, maxLength: BATCH }), fc.array(fc.nat(), { maxLength: 12 }), (events, cuts) => {
        const expected: Expected[] = [];
        let stream = '';
        for (const event of events) {
          generated++;
          const error = expectedError(event);
          if (error) {
            let thrown: unknown;
            try {
              formatEvent(event);
            } catch (caught) {
              thrown = caught;
            }
            expect(isSseError(thrown), `no typed error for ${JSON.stringify(error)}`).toBe(true);
            expect(thrown).toMatchObject({ name: 'SseEncodeError', code: error.code, field: error.field });
            expect(() => encodeEvent(event)).toThrow();
            errorsByCode[error.code] = (errorsByCode[error.code] ?? 0) + 1;
            continue;
          }
          const block = formatEvent(event);
          if (Object.values(event).every((value) => value === undefined)) {
            // No field at all: one empty line, which dispatches nothing and ends nothing.
            expect(block).toBe('\n');
          } else {
            // One block: lines that are all non-empty and known, then exactly one blank line.
            expect(block.endsWith('\n\n')).toBe(true);
            const lines = block.slice(0, -2).split('\n');
            for (const line of lines) expect(line).toMatch(ALLOWED_LINE);
          }
          expect(block.includes('\r')).toBe(false);
          const bytes = encodeEvent(event);
          expect(Buffer.from(bytes).equals(Buffer.from(new TextEncoder().encode(block)))).toBe(true);
          expect(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf).toBe(false);
          expected.push(expectedOf(event));
          stream += block;
          valid++;
        }
        const want = expected.flatMap((e) => (e.dispatched ? [e.dispatched] : []));
        dispatched += want.length;
        const bytes = new TextEncoder().encode(stream);

        // eventsource-parser, fed in random pieces.
        const parsed = parseInPieces(bytes, cuts);
        expect(parsed.errors).toEqual([]);
        expect(parsed.events.map((e) => ({ event: e.event, data: e.data, id: e.id }))).toEqual(want);
        expect(parsed.retries).toEqual(expected.flatMap((e) => (e.retry === undefined ? [] : [e.retry])));
        expect(parsed.comments).toEqual(expected.flatMap((e) => e.comments));

        // The spec-step oracle, on the decoded whole.
        const oracle = parseEventStream(new TextDecoder().decode(bytes));
        expect(oracle.unknownFields).toEqual([]);
        expect(oracle.events.map((e) => ({ event: e.type, data: e.data, id: e.id }))).toEqual(
          want.map((w) => ({ event: w.event ?? 'message', data: w.data, id: w.id })),
        );
        expect(oracle.comments).toEqual(expected.flatMap((e) => e.comments));
      }),
      { seed: SEED, numRuns: Math.ceil(EVENTS / BATCH) },
    );
    expect(generated).toBeGreaterThanOrEqual(EVENTS);
    record('events generated (replay with the seed)', `${count(generated)} (FUZZ_SEED=${SEED})`);
    record('valid events: exact round trip, 2 parsers, random byte cuts', `${count(valid)} of ${count(valid)}`);
    record('events dispatched (the rest are retry/comment control frames)', count(dispatched));
    record(
      'invalid events raising the typed error',
      Object.entries(errorsByCode)
        .map(([code, n]) => `${code} ${count(n)}`)
        .join(', '),
    );
  });

  it('the broker refuses hostile fields with the typed error before anything is published', async () => {
    const broker = createContractBroker();
    const cases: Array<[SseEvent, Code]> = [
      [{ event: 'a\nb', data: 'x' }, 'INVALID_EVENT_NAME'],
      [{ event: 'a\rid: 1', data: 'x' }, 'INVALID_EVENT_NAME'],
      [{ id: 'x\r\ndata: injected', data: 'x' }, 'INVALID_ID'],
      [{ id: 'a\0b', data: 'x' }, 'INVALID_ID'],
      [{ id: Number.NaN, data: 'x' }, 'INVALID_ID'],
      [{ retry: -1, data: 'x' }, 'INVALID_RETRY'],
      [{ retry: 1.5, data: 'x' }, 'INVALID_RETRY'],
      [{ data: 10n }, 'SERIALIZE_FAILED'],
    ];
    for (const [event, code] of cases) {
      const error = await broker.publish('t', event).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSseError(error)).toBe(true);
      expect(error).toMatchObject({ code });
    }
    expect(broker.stats().published).toBe(0);
    await broker.close();
  });
});

describe('generated events through a real broker, adapter and socket', () => {
  const apps: RunningApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it(`${count(WIRE_EVENTS)} valid events, a quarter on each adapter, arrive exactly once, in order, unchanged`, async () => {
    const validEvent = eventArb.filter((e) => expectedError(e) === undefined);
    const samples = fc.sample(validEvent, { seed: SEED, numRuns: WIRE_EVENTS });
    const perAdapter = Math.ceil(WIRE_EVENTS / ADAPTERS.length);
    let delivered = 0;
    for (const [index, name] of ADAPTERS.entries()) {
      const app = await startApp(name, { broker: createContractBroker({ historySize: 10 }) });
      apps.push(app);
      const reader = await openSse(`${app.url}/events?topic=fuzz`);
      await until(() => app.broker.stats().connections === 1, 'stream open');
      const slice = samples.slice(index * perAdapter, (index + 1) * perAdapter);
      const ids: string[] = [];
      // In steps the reader keeps up with: a reader that falls maxBufferedBytes behind is dropped as slow.
      for (const event of slice) {
        ids.push(await app.broker.publish('fuzz', event));
        if (ids.length % 50 === 0) await reader.waitForEvents(ids.length, 30_000);
      }
      await reader.waitForEvents(slice.length, 30_000);
      const want = slice.map((event, i) => {
        const e = expectedOf(event).dispatched;
        return { event: e?.event ?? 'message', data: e?.data ?? '', id: wellFormed(ids[i] ?? '') };
      });
      expect(reader.events).toEqual(want);
      expect(reader.retries).toEqual(slice.flatMap((e) => (e.retry === undefined ? [] : [Math.abs(e.retry)])));
      delivered += reader.events.length;
      reader.close();
    }
    record('valid events through broker + adapter + socket, delivered exactly', `${count(delivered)} of ${count(WIRE_EVENTS)}`);
  });
});
