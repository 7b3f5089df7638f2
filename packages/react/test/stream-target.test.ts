import { describe, expect, it } from 'vitest';
import { isSseReactError } from '../src/index.js';
import { describeStream } from '../src/stream-target.js';

const keyOf = (url: string, options = {}) => describeStream(url, options).key;

describe('which hooks share a connection (describeStream)', () => {
  it('puts sorted, unique topics in the query, after any query the URL has and before its fragment', () => {
    expect(describeStream('/events', { topics: ['b', 'a', 'b'] }).href).toBe('/events?topic=a&topic=b');
    expect(describeStream('/events?x=1#top', { topics: ['room:1 & 2'] }).href).toBe('/events?x=1&topic=room%3A1%20%26%202#top');
    expect(describeStream('/events?', { topics: ['a'], topicParam: 't' }).href).toBe('/events?t=a');
    expect(describeStream(new URL('http://127.0.0.1:1/events'), {}).href).toBe('http://127.0.0.1:1/events');
  });

  it('gives equal keys to equal streams, and different keys to streams that differ in a connection option', () => {
    expect(keyOf('/e', { topics: ['a', 'b'] })).toBe(keyOf('/e', { topics: ['b', 'a'] }));
    expect(keyOf('/e', { headers: { 'X-A': '1', b: '2' } })).toBe(
      keyOf('/e', {
        headers: [
          ['b', '2'],
          ['x-a', '1'],
        ],
      }),
    );
    // Inline functions differ on every render: only their presence counts.
    expect(keyOf('/e', { headers: () => ({}) })).toBe(keyOf('/e', { headers: () => ({ a: '1' }) }));
    expect(keyOf('/e', { formats: { a: 'text', b: 'json' } })).toBe(keyOf('/e', { formats: { b: 'json', a: 'text' } }));
    const base = keyOf('/e');
    for (const options of [
      { topics: ['a'] },
      { method: 'POST' },
      { body: 'x' },
      { body: new URLSearchParams({ q: '1' }) },
      { credentials: 'include' as const },
      { headers: { a: '1' } },
      { headers: () => ({}) },
      { lastEventId: '5' },
      { formats: { a: 'text' as const } },
      { parse: false as const },
      { parse: (data: string) => data },
      { fetch: globalThis.fetch },
      { retryDelay: 5 },
      { maxRetryDelay: 5 },
      { retryJitter: 0 },
      { maxRetries: 0 },
      { stallTimeout: 0 },
      { closeOnEnd: true },
    ]) {
      expect(keyOf('/e', options), JSON.stringify(Object.keys(options))).not.toBe(base);
    }
  });

  it('asks for a key when the body cannot be compared, and takes the key as the identity', () => {
    let caught: unknown;
    try {
      describeStream('/e', { body: new Blob(['x']) });
    } catch (error) {
      caught = error;
    }
    expect(isSseReactError(caught) && caught.code).toBe('UNCOMPARABLE_OPTION');
    expect(keyOf('/e', { body: new Blob(['x']), key: 'upload' })).toBe(keyOf('/other', { key: 'upload' }));
  });
});
