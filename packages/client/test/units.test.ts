import { GAP_EVENT as CORE_GAP_EVENT } from '@ssekit/core';
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../src/backoff.js';
import { createEventIterator } from '../src/event-iterator.js';
import { readGap } from '../src/gap.js';
import { GAP_EVENT, isSseClientError, parseJsonOrText, SseClientError } from '../src/index.js';

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(attempt, 1000, 30_000, 0))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });

  it("honours a server's retry above the cap", () => {
    expect(backoffDelay(1, 60_000, 30_000, 0)).toBe(60_000);
    expect(backoffDelay(4, 60_000, 30_000, 0)).toBe(60_000);
  });

  it('takes up to `jitter` of the delay off at random', () => {
    expect(backoffDelay(1, 1000, 30_000, 0.3, () => 0)).toBe(1000);
    expect(backoffDelay(1, 1000, 30_000, 0.3, () => 0.999_999)).toBe(700);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(2, 1000, 30_000, 0.3);
      expect(delay).toBeGreaterThanOrEqual(1400);
      expect(delay).toBeLessThanOrEqual(2000);
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores the rest', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('gap', () => {
  it('uses the event name the broker sends', () => {
    expect(GAP_EVENT).toBe(CORE_GAP_EVENT);
  });

  it('reads the payload and tolerates a malformed one', () => {
    expect(readGap('{"lastEventId":"1-0","reason":"expired"}')).toEqual({ lastEventId: '1-0', reason: 'expired' });
    expect(readGap('{"lastEventId":null,"reason":"unknown"}')).toEqual({ lastEventId: null, reason: 'unknown' });
    expect(readGap('{"lastEventId":"2-0","reason":"lost"}')).toEqual({ lastEventId: '2-0', reason: 'lost' });
    expect(readGap('oops')).toEqual({ lastEventId: null, reason: 'unknown' });
    expect(readGap('null')).toEqual({ lastEventId: null, reason: 'unknown' });
  });
});

describe('parseJsonOrText', () => {
  it('parses JSON and passes other text through', () => {
    expect(parseJsonOrText('{"n":1}')).toEqual({ n: 1 });
    expect(parseJsonOrText('"quoted"')).toBe('quoted');
    expect(parseJsonOrText('plain text')).toBe('plain text');
    expect(parseJsonOrText('')).toBe('');
  });
});

describe('SseClientError', () => {
  it('is recognised across package copies by its brand', () => {
    const error = new SseClientError('NETWORK', 'dropped', { cause: new TypeError('fetch failed'), retryable: true });
    expect(isSseClientError(error)).toBe(true);
    expect(isSseClientError({ ...error, [Symbol.for('ssekit.client-error')]: true })).toBe(true);
    expect(isSseClientError(new Error('x'))).toBe(false);
    expect(isSseClientError(null)).toBe(false);
    expect(error).toMatchObject({ name: 'SseClientError', code: 'NETWORK', retryable: true, status: undefined });
    expect(error.cause).toBeInstanceOf(TypeError);
    expect('cause' in new SseClientError('CLOSED', 'ended')).toBe(false);
  });
});

describe('createEventIterator', () => {
  it('buffers, hands out what is buffered after the end, then finishes', async () => {
    let push: (n: number) => void = () => {};
    let end: () => void = () => {};
    let stopped = 0;
    const iterator = createEventIterator<number>((p, e) => {
      push = p;
      end = e;
      return () => stopped++;
    });
    const pending = iterator.next();
    push(1);
    push(2);
    push(3);
    end();
    push(4);
    expect(await pending).toEqual({ done: false, value: 1 });
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    expect(await iterator.next()).toEqual({ done: false, value: 3 });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(stopped).toBe(1);
  });

  it('resolves every waiting next() when the source ends', async () => {
    let end: () => void = () => {};
    const iterator = createEventIterator<number>((_push, e) => {
      end = e;
      return () => {};
    });
    const waits = [iterator.next(), iterator.next()];
    end();
    expect(await Promise.all(waits)).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
  });
});
