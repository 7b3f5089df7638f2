import { createBroker } from '@ssekit/core';
import { waitFor } from '@ssekit/test-utils';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ClientEvent, createClient, type Jsonify, SseClientError } from '../src/index.js';
import { next, recordLifecycle, track } from './helpers/clients.js';
import { serve, streamFrom } from './helpers/server.js';

type Events = { tick: { n: number }; message: string; note: string };

async function start() {
  const broker = createBroker<Events>({ heartbeatInterval: 0 });
  const served = await serve(streamFrom(broker, { topics: ['t'] }));
  return { broker, served };
}

describe('typed events', () => {
  it('parses JSON data and keeps the raw text, id and name on the event', async () => {
    const { broker, served } = await start();
    const client = track<Events>(`${served.url}/events`);
    const received: Array<[{ n: number }, ClientEvent<{ n: number }, 'tick'>]> = [];
    client.on('tick', (data, event) => received.push([data, event]));
    await next(client, 'open');
    expect(client.state).toBe('open');
    const id = await broker.publish('t', { event: 'tick', data: { n: 1 } });
    await waitFor(() => received.length === 1, 'tick received');
    expect(received[0]).toEqual([{ n: 1 }, { event: 'tick', data: '{"n":1}', id, parsed: { n: 1 } }]);
    expect(client.lastEventId).toBe(id);
    await broker.close();
  });

  it('names events without `event:` message, and passes text events through as they are', async () => {
    const { broker, served } = await start();
    const client = track<Events>(served.url, { formats: { message: 'text' } });
    const messages: string[] = [];
    client.on('message', (data) => messages.push(data));
    await next(client, 'open');
    await broker.publish('t', { data: 'hello\nworld' });
    await waitFor(() => messages.length === 1, 'message received');
    expect(messages).toEqual(['hello\nworld']);
    await broker.close();
  });

  it('keeps a string event a string even when it looks like JSON, through a real server', async () => {
    const { broker, served } = await start();
    // The type requires `formats` for the string events; that is what the runtime follows.
    const client = createClient<Events>(served.url, { formats: { message: 'text', note: 'text' }, retryDelay: 20 });
    const notes: string[] = [];
    const ticks: Array<{ n: number }> = [];
    client.on('note', (data) => notes.push(data));
    client.on('tick', (data) => ticks.push(data));
    await next(client, 'open');
    for (const text of [' 42', 'true', 'null', '{"a":1}', '"quoted"']) await broker.publish('t', { event: 'note', data: text });
    await broker.publish('t', { event: 'tick', data: { n: 7 } });
    await waitFor(() => ticks.length === 1, 'the tick after the notes');
    client.close();
    expect(notes).toEqual([' 42', 'true', 'null', '{"a":1}', '"quoted"']);
    expect(notes.map((note) => typeof note)).toEqual(['string', 'string', 'string', 'string', 'string']);
    expect(ticks).toEqual([{ n: 7 }]);
    await broker.close();
  });

  it('never drops an event for its format: undeclared text arrives as text, declared JSON that is not JSON is a PARSE error', async () => {
    const broker = createBroker<{ tick: { n: number } | undefined }>({ heartbeatInterval: 0 });
    const served = await serve(streamFrom(broker, { topics: ['t'] }));
    const lenient = track<{ tick: { n: number } | undefined }>(served.url);
    const strict = track<{ tick: { n: number } | undefined }>(served.url, { formats: { tick: 'json' } });
    const errors: SseClientError[] = [];
    strict.onLifecycle('error', (error) => errors.push(error));
    const loose: unknown[] = [];
    const checked: unknown[] = [];
    lenient.on('tick', (data) => loose.push(data));
    strict.on('tick', (data) => checked.push(data));
    await Promise.all([next(lenient, 'open'), next(strict, 'open')]);
    await broker.publish('t', { event: 'tick', data: 'not json' as never });
    await broker.publish('t', { event: 'tick' });
    await broker.publish('t', { event: 'tick', data: { n: 1 } });
    await waitFor(() => loose.length === 3 && checked.length === 2, 'ticks');
    expect(loose).toEqual(['not json', undefined, { n: 1 }]);
    expect(checked).toEqual([undefined, { n: 1 }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'PARSE', message: expect.stringContaining(`formats: { "tick": 'text' }`) });
    await broker.close();
  });

  it('passes the text as it is with parse: false, and uses a custom parser', async () => {
    const { broker, served } = await start();
    const raw = track<{ tick: string }>(served.url, { parse: false });
    const custom = track<{ tick: number }>(served.url, { parse: (data, name) => (name === 'tick' ? JSON.parse(data).n * 10 : data) });
    const texts: string[] = [];
    const numbers: number[] = [];
    raw.on('tick', (data) => texts.push(data));
    custom.on('tick', (data) => numbers.push(data));
    await Promise.all([next(raw, 'open'), next(custom, 'open')]);
    await broker.publish('t', { event: 'tick', data: { n: 4 } });
    await waitFor(() => texts.length === 1 && numbers.length === 1, 'both received');
    expect(texts).toEqual(['{"n":4}']);
    expect(numbers).toEqual([40]);
    await broker.close();
  });

  it('skips an event whose parser throws and reports a PARSE error, then goes on', async () => {
    const { broker, served } = await start();
    const client = track<Events>(served.url, {
      parse: (data) => {
        if (data === 'bad') throw new Error('nope');
        return data;
      },
    });
    const notes: string[] = [];
    client.on('note', (data) => notes.push(data));
    const log = recordLifecycle(client);
    await next(client, 'open');
    await broker.publish('t', { event: 'note', data: 'bad' });
    await broker.publish('t', { event: 'note', data: 'good' });
    await waitFor(() => notes.length === 1, 'good note received');
    expect(notes).toEqual(['good']);
    const error = log.find(([type]) => type === 'error')?.[1];
    expect(error).toBeInstanceOf(SseClientError);
    expect(error).toMatchObject({ code: 'PARSE', retryable: false });
    expect(client.state).toBe('open');
    await broker.close();
  });

  it('keeps delivering when a listener throws (the error is reported, not swallowed)', async () => {
    const { broker, served } = await start();
    const client = track<Events>(served.url);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const ticks: number[] = [];
    client.on('tick', () => {
      throw new Error('listener bug');
    });
    client.on('tick', (data) => ticks.push(data.n));
    await next(client, 'open');
    await broker.publish('t', { event: 'tick', data: { n: 1 } });
    await broker.publish('t', { event: 'tick', data: { n: 2 } });
    await waitFor(() => ticks.length === 2, 'both ticks received');
    await waitFor(() => uncaught.length === 2, 'listener errors reported');
    process.off('uncaughtException', onUncaught);
    expect(String(uncaught[0])).toContain('listener bug');
    await broker.close();
  });

  it('removes a listener with the function on() returns', async () => {
    const { broker, served } = await start();
    const client = track<Events>(served.url);
    const a: number[] = [];
    const b: number[] = [];
    const offA = client.on('tick', (data) => a.push(data.n));
    client.on('tick', (data) => b.push(data.n));
    await next(client, 'open');
    await broker.publish('t', { event: 'tick', data: { n: 1 } });
    await waitFor(() => b.length === 1, 'first tick');
    offA();
    await broker.publish('t', { event: 'tick', data: { n: 2 } });
    await waitFor(() => b.length === 2, 'second tick');
    expect(a).toEqual([1]);
    await broker.close();
  });
});

describe('events() async iterator', () => {
  it('yields events in order and ends when the client closes', async () => {
    const { broker, served } = await start();
    const client = track<Events>(served.url);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const event of client.events('tick')) {
        seen.push(event.parsed.n);
        if (event.parsed.n === 3) client.close();
      }
    })();
    await next(client, 'open');
    for (const n of [1, 2, 3]) await broker.publish('t', { event: 'tick', data: { n } });
    await loop;
    expect(seen).toEqual([1, 2, 3]);
    expect(client.state).toBe('closed');
    await broker.close();
  });

  it('removes its listener when the loop is left early', async () => {
    const { broker, served } = await start();
    const client = track<Events>(served.url);
    const iterator = client.events('tick');
    await next(client, 'open');
    await broker.publish('t', { event: 'tick', data: { n: 1 } });
    await broker.publish('t', { event: 'tick', data: { n: 2 } });
    const first = await iterator.next();
    expect(first).toEqual({ done: false, value: expect.objectContaining({ parsed: { n: 1 } }) });
    await iterator.return?.();
    // The buffered event is dropped and nothing new arrives after return().
    await broker.publish('t', { event: 'tick', data: { n: 3 } });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    await broker.close();
  });

  it('is over at once on a closed client', async () => {
    const client = createClient('http://127.0.0.1:9/never', { fetch: () => new Promise<Response>(() => {}) });
    client.close();
    expect(await client.events('x').next()).toEqual({ done: true, value: undefined });
  });
});

describe('types (checked by `pnpm typecheck`)', () => {
  it('types data by the event map the broker uses', () => {
    const client = createClient<Events>('http://127.0.0.1:9/', {
      fetch: () => new Promise<Response>(() => {}),
      formats: { message: 'text', note: 'text' },
    });
    client.on('tick', (data, event) => {
      expectTypeOf(data).toEqualTypeOf<{ n: number }>();
      expectTypeOf(event.event).toEqualTypeOf<'tick'>();
      expectTypeOf(event.data).toEqualTypeOf<string>();
      expectTypeOf(event.id).toEqualTypeOf<string | undefined>();
    });
    client.on('message', (data) => expectTypeOf(data).toEqualTypeOf<string>());
    expectTypeOf(client.events('tick')).toEqualTypeOf<AsyncIterableIterator<ClientEvent<{ n: number }, 'tick'>>>();
    // @ts-expect-error not an event of the map
    client.on('tock', () => {});
    // @ts-expect-error wrong data type in the listener
    client.on('tick', (data: { n: string }) => data);

    const untyped = createClient('http://127.0.0.1:9/', { fetch: () => new Promise<Response>(() => {}) });
    untyped.on('anything', (data) => expectTypeOf(data).toEqualTypeOf<unknown>());
    client.close();
    untyped.close();
  });

  it('types data as JSON carries it (Date becomes string), unless a deserializer is declared', () => {
    type Server = {
      price: { at: Date; value: number; note?: string; tags: Array<string | undefined>; run: () => void; gone: undefined };
      notice: string;
      ping: undefined;
    };
    expectTypeOf<Jsonify<Server['price']>>().toEqualTypeOf<{ at: string; value: number; note?: string; tags: Array<string | null> }>();
    expectTypeOf<Jsonify<Map<string, number>>>().toEqualTypeOf<Record<string, never>>();
    expectTypeOf<Jsonify<unknown>>().toEqualTypeOf<unknown>();
    // Never called: these only have to compile (or not).
    const typeOnly = (url: string) => {
      const client = createClient<Server>(url, { formats: { notice: 'text' } });
      client.on('price', (data) => {
        expectTypeOf(data.at).toEqualTypeOf<string>();
        // @ts-expect-error misspelt payload field
        void data.valeu;
      });
      client.on('notice', (data) => expectTypeOf(data).toEqualTypeOf<string>());
      client.on('ping', (data) => expectTypeOf(data).toEqualTypeOf<undefined>());
      // @ts-expect-error `notice` is declared as a string, so `formats` must read it as text
      createClient<Server>(url);
      // @ts-expect-error the same with other options
      createClient<Server>(url, { retryDelay: 10 });
      // @ts-expect-error a string event cannot be read as JSON
      createClient<Server>(url, { formats: { notice: 'json' } });
      // @ts-expect-error misspelt event in formats
      createClient<Server>(url, { formats: { notice: 'text', notise: 'text' } });
      // A deserializer paired with the server's serializer: listeners get the declared types.
      const revived = createClient<Server, Server>(url, { parse: (data) => JSON.parse(data, (_key, value) => value) });
      revived.on('price', (data) => expectTypeOf(data.at).toEqualTypeOf<Date>());
      // @ts-expect-error `parse` replaces `formats`: not both
      createClient<Server>(url, { parse: JSON.parse, formats: { notice: 'text' } });
    };
    expectTypeOf(typeOnly).toBeFunction();
  });
});
