import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeComment, encodeEvent, formatComment, formatEvent, isSseError, SseEncodeError } from '../src/index.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function parse(wire: string) {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e), onRetry: (r) => retries.push(r), onComment: (c) => comments.push(c) });
  parser.feed(wire);
  return { events, retries, comments };
}

describe('formatEvent wire bytes', () => {
  it.each([
    [{ data: 'hello' }, 'data: hello\n\n'],
    [{ event: 'tick', data: 'x' }, 'event: tick\ndata: x\n\n'],
    [{ id: 0, data: 'x' }, 'id: 0\ndata: x\n\n'],
    [{ id: '', data: 'x' }, 'id: \ndata: x\n\n'],
    [{ retry: 0 }, 'retry: 0\n\n'],
    [{ retry: 1500, data: 'x' }, 'retry: 1500\ndata: x\n\n'],
    [{ data: 'a\nb' }, 'data: a\ndata: b\n\n'],
    [{ data: 'a\rb' }, 'data: a\ndata: b\n\n'],
    [{ data: 'a\r\nb' }, 'data: a\ndata: b\n\n'],
    [{ data: 'a\n\r\nb\r' }, 'data: a\ndata: \ndata: b\ndata: \n\n'],
    [{ data: 'trailing\n' }, 'data: trailing\ndata: \n\n'],
    [{ data: '  two leading spaces' }, 'data:   two leading spaces\n\n'],
    [{ data: '\ttab' }, 'data: \ttab\n\n'],
    [{ data: '' }, 'data: \n\n'],
    [{ data: { n: 1 } }, 'data: {"n":1}\n\n'],
    [{ data: 0 }, 'data: 0\n\n'],
    [{ data: null }, 'data: null\n\n'],
    [{ event: 'ping' }, 'event: ping\ndata: \n\n'],
    [{ id: 'abc' }, 'id: abc\ndata: \n\n'],
    [{ comment: 'hi', data: 'x' }, ': hi\ndata: x\n\n'],
    [{ comment: 'only' }, ': only\n\n'],
    [{ data: 'é✓😀' }, 'data: é✓😀\n\n'],
    [{ id: undefined, data: 'x' }, 'data: x\n\n'],
  ])('%j', (event, wire) => {
    expect(formatEvent(event)).toBe(wire);
  });

  it('writes fields in a fixed order: comment, event, id, retry, data', () => {
    expect(formatEvent({ data: 'd', retry: 1, id: 2, event: 'e', comment: 'c' })).toBe(': c\nevent: e\nid: 2\nretry: 1\ndata: d\n\n');
  });

  it('encodes to UTF-8 without a BOM, as one chunk', () => {
    const bytes = encodeEvent({ data: 'é' });
    expect([...bytes.slice(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    expect(text(bytes)).toBe('data: é\n\n');
    expect(bytes).toBeInstanceOf(Uint8Array);
  });

  it('uses the serializer option for non-string data', () => {
    expect(formatEvent({ data: { a: 1 } }, { serialize: () => 'custom\nlines' })).toBe('data: custom\ndata: lines\n\n');
  });
});

describe('comments', () => {
  it('prefixes every line', () => {
    expect(formatComment('one\ntwo\r\nthree\rfour')).toBe(': one\n: two\n: three\n: four\n');
    expect(formatComment('')).toBe(':\n');
    expect(text(encodeComment('a\n'))).toBe(': a\n:\n');
  });

  it('cannot inject an event', () => {
    const { events, comments } = parse(formatComment('x\ndata: injected\n\n'));
    expect(events).toEqual([]);
    expect(comments).toEqual(['x', 'data: injected', '', '']);
  });
});

describe('rejects fields that would corrupt the stream', () => {
  it.each([
    [{ event: 'a\nb', data: 'x' }, 'INVALID_EVENT_NAME', 'event'],
    [{ event: 'a\rdata: evil', data: 'x' }, 'INVALID_EVENT_NAME', 'event'],
    [{ id: '1\n', data: 'x' }, 'INVALID_ID', 'id'],
    [{ id: '1\rretry: 1', data: 'x' }, 'INVALID_ID', 'id'],
    [{ id: 'a\0b', data: 'x' }, 'INVALID_ID', 'id'],
    [{ id: Number.NaN, data: 'x' }, 'INVALID_ID', 'id'],
    [{ retry: -1 }, 'INVALID_RETRY', 'retry'],
    [{ retry: 1.5 }, 'INVALID_RETRY', 'retry'],
    [{ retry: 2 ** 53 }, 'INVALID_RETRY', 'retry'],
    [{ data: 1n }, 'SERIALIZE_FAILED', 'data'],
    [{ data: () => 1 }, 'SERIALIZE_FAILED', 'data'],
  ])('%s', (event, code, field) => {
    let caught: unknown;
    try {
      encodeEvent(event as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SseEncodeError);
    expect(isSseError(caught)).toBe(true);
    expect(caught).toMatchObject({ code, field, name: 'SseEncodeError' });
    expect((caught as Error).message.length).toBeGreaterThan(20);
  });

  it('keeps the serializer error as the cause', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    try {
      formatEvent({ data: cycle });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(TypeError);
    }
  });

  it('recognizes errors from another copy of the package by brand, not instanceof', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('ssekit.error')]: true, code: 'INVALID_ID' });
    expect(isSseError(foreign)).toBe(true);
    expect(isSseError(new Error('x'))).toBe(false);
    expect(isSseError(null)).toBe(false);
  });
});

describe('round trip through a spec parser (eventsource-parser)', () => {
  const lineBreak = fc.constantFrom('\n', '\r', '\r\n');
  const anyText = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), lineBreak), { maxLength: 8 }).map((parts) => parts.join(''));
  const singleLine = fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s));
  const idText = singleLine.filter((s) => !s.includes('\0'));

  it('any valid event parses back to the same fields, alone and in a sequence', () => {
    const eventArb = fc.record(
      {
        event: singleLine.filter((s) => s.length > 0),
        id: fc.oneof(idText, fc.integer({ min: 0 })),
        retry: fc.nat(),
        data: anyText,
        comment: anyText,
      },
      { requiredKeys: ['data'] },
    );
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 5 }), (events) => {
        const wire = events.map((event) => formatEvent(event)).join('');
        const parsed = parse(wire);
        expect(parsed.events).toHaveLength(events.length);
        events.forEach((event, i) => {
          const got = parsed.events[i] as EventSourceMessage;
          expect(got.data).toBe(event.data.replace(/\r\n|\r/g, '\n'));
          expect(got.event).toBe(event.event);
          if (event.id !== undefined) expect(got.id).toBe(String(event.id));
        });
        expect(parsed.retries).toEqual(events.filter((e) => e.retry !== undefined).map((e) => e.retry));
      }),
      { numRuns: 500 },
    );
  });

  it('hostile names and ids either throw a typed error or stay one field', () => {
    fc.assert(
      fc.property(anyText, anyText, (event, id) => {
        let wire: string;
        try {
          wire = formatEvent({ event, id, data: 'payload' });
        } catch (error) {
          expect(isSseError(error)).toBe(true);
          return;
        }
        const { events } = parse(wire);
        expect(events).toHaveLength(1);
        expect(events[0]?.data).toBe('payload');
        expect(events[0]?.id).toBe(id);
        // An accepted name must come back whole: a CR let through would cut it short.
        expect(events[0]?.event).toBe(event === '' ? undefined : event);
      }),
      { numRuns: 500 },
    );
  });
});
