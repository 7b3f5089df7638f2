/**
 * Presence on the in-memory transport, through real sockets: `broker.presence(topic)` counts each
 * client once with its sessions, and topics that opted in get `ssekit:join` / `ssekit:leave` as
 * ordinary events (ids, replay) when a client's first session arrives and its last one goes.
 */
import { openSse, type SseReader, waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker, createMemoryTransport, isSseError, JOIN_EVENT, LEAVE_EVENT, type Transport } from '../src/index.js';
import { serveBroker, servedBrokers } from './helpers/serve.js';

const start = servedBrokers({ heartbeatInterval: 0 });
const readers: SseReader[] = [];
afterEach(() => {
  for (const reader of readers.splice(0)) reader.close();
});

async function open(url: string): Promise<SseReader> {
  const reader = await openSse(url);
  readers.push(reader);
  return reader;
}

const notices = (reader: SseReader) =>
  reader.events.filter((event) => event.event === JOIN_EVENT || event.event === LEAVE_EVENT).map((event) => `${event.event} ${event.data}`);

describe('broker.presence', () => {
  it('lists each client once with its sessions, and forgets streams that ended', async () => {
    const { broker, served } = await start();
    const ada1 = await open(`${served.url}?topic=room&client=ada`);
    await open(`${served.url}?topic=room&topic=other&client=ada`);
    const grace = await open(`${served.url}?topic=room&client=grace`);
    await open(`${served.url}?topic=other&client=linus`);
    expect(await broker.presence('room')).toEqual({
      topic: 'room',
      clients: [
        { clientId: 'ada', sessions: 2 },
        { clientId: 'grace', sessions: 1 },
      ],
    });
    expect((await broker.presence('other')).clients.map((client) => client.clientId)).toEqual(['ada', 'linus']);
    expect((await broker.presence('nobody')).clients).toEqual([]);
    ada1.close();
    grace.close();
    await waitFor(() => broker.stats().connections === 2, 'two streams left');
    expect((await broker.presence('room')).clients).toEqual([{ clientId: 'ada', sessions: 1 }]);
  });

  it('follows subscribe and unsubscribe on an open stream', async () => {
    const { broker, served } = await start();
    await open(`${served.url}?topic=a&client=ada`);
    await waitFor(() => served.connections.length === 1, 'the stream is registered');
    const connection = served.connections[0];
    connection?.subscribe(['b']);
    connection?.subscribe(['b']); // twice: still one session
    expect((await broker.presence('b')).clients).toEqual([{ clientId: 'ada', sessions: 1 }]);
    connection?.unsubscribe(['a', 'never']);
    expect((await broker.presence('a')).clients).toEqual([]);
  });

  it('refuses a topic it does not track, and a transport that keeps no presence', async () => {
    const { broker } = await start({ presence: { track: (topic) => topic !== 'secret' } });
    const untracked = await broker.presence('secret').catch((error: unknown) => error);
    expect(isSseError(untracked) && untracked.code).toBe('PRESENCE_UNAVAILABLE');
    const { presence: _omitted, ...withoutPresence } = createMemoryTransport();
    const bare = createBroker({ transport: withoutPresence as Transport });
    const none = await bare.presence('room').catch((error: unknown) => error);
    expect(isSseError(none) && none.code).toBe('PRESENCE_UNAVAILABLE');
    await bare.close();
  });
});

describe('failures', () => {
  it('reports a join the transport could not record to onError (phase presence), and keeps the stream', async () => {
    const transport = createMemoryTransport();
    const memory = transport.presence as NonNullable<Transport['presence']>;
    const failing: Transport = {
      ...transport,
      presence: { ...memory, join: () => Promise.reject(new Error('backplane down')) },
    };
    const reported: Array<{ message: string; phase: string; topic?: string }> = [];
    const { broker, served } = await start({
      transport: failing,
      onError: (error, context) =>
        reported.push({ message: (error as Error).message, phase: context.phase, topic: 'topic' in context ? context.topic : undefined }),
    });
    const reader = await open(`${served.url}?topic=room&client=ada`);
    await waitFor(() => reported.length === 1, 'the failure reported');
    expect(reported).toEqual([{ message: 'backplane down', phase: 'presence', topic: 'room' }]);
    await broker.publish('room', { data: 'still live' });
    await waitFor(() => reader.events.some((event) => event.data === 'still live'), 'the stream still delivers');
  });
});

describe('join and leave notices', () => {
  it('tells the subscribers of a topic that opted in when a client first arrives and last leaves', async () => {
    const { broker, served } = await start({ presence: { notify: (topic) => topic.startsWith('room:') } });
    const watcher = await open(`${served.url}?topic=room:1&client=watcher`);
    await waitFor(() => notices(watcher).length === 1, 'its own join');
    const ada1 = await open(`${served.url}?topic=room:1&client=ada`);
    const ada2 = await open(`${served.url}?topic=room:1&client=ada`);
    await open(`${served.url}?topic=lobby&client=grace`); // a topic without notices
    await waitFor(() => notices(watcher).length === 2, "ada's join");
    ada1.close();
    await waitFor(() => broker.stats().connections === 3, 'ada1 gone');
    expect((await broker.presence('room:1')).clients).toEqual([
      { clientId: 'ada', sessions: 1 },
      { clientId: 'watcher', sessions: 1 },
    ]);
    ada2.close();
    await waitFor(() => notices(watcher).length === 3, "ada's leave");
    // A marker after everything: a notice for ada's second session or grace would be before it.
    await broker.publish('room:1', { event: 'end', data: 'end' });
    await waitFor(() => watcher.events.some((event) => event.event === 'end'), 'the marker');
    expect(notices(watcher)).toEqual([
      'ssekit:join {"clientId":"watcher","sessions":1}',
      'ssekit:join {"clientId":"ada","sessions":1}',
      'ssekit:leave {"clientId":"ada","sessions":0}',
    ]);
    // Ordinary events of the topic: they have ids and are replayed after Last-Event-ID.
    const firstId = watcher.events[0]?.id as string;
    expect(firstId).toMatch(/^\d+-\d+$/);
    const resumed = await openSse(`${served.url}?topic=room:1&client=late`, { headers: { 'last-event-id': firstId } });
    readers.push(resumed);
    await waitFor(() => resumed.events.some((event) => event.event === 'end'), 'the replay');
    expect(notices(resumed).slice(0, 2)).toEqual(notices(watcher).slice(1));
  });

  it('never sends notices of a topic to streams not subscribed to it', async () => {
    const { broker, served } = await start({ presence: { notify: () => true } });
    const outsider = await open(`${served.url}?topic=public&client=eve`);
    await open(`${served.url}?topic=private&client=ada`);
    await waitFor(() => broker.stats().connections === 2, 'ada is connected');
    expect((await broker.presence('private')).clients).toEqual([{ clientId: 'ada', sessions: 1 }]);
    await broker.publish('public', { event: 'end', data: 'end' });
    await waitFor(() => outsider.events.some((event) => event.event === 'end'), 'the marker');
    expect(notices(outsider)).toEqual(['ssekit:join {"clientId":"eve","sessions":1}']);
  });

  it('sends the leave notices of its own streams when the broker closes', async () => {
    const transport = createMemoryTransport();
    const shared = { transport, heartbeatInterval: 0, presence: { notify: () => true } };
    const staying = createBroker(shared);
    const leaving = createBroker({ ...shared, transport: { ...transport, close: () => {} } });
    const stayingServed = await serveBroker(staying);
    const leavingServed = await serveBroker(leaving);
    const watcher = await open(`${stayingServed.url}?topic=room&client=watcher`);
    await open(`${leavingServed.url}?topic=room&client=ada`);
    await waitFor(() => notices(watcher).length === 2, "ada's join");
    await leavingServed.close();
    await waitFor(() => notices(watcher).length === 3, "ada's leave");
    expect(notices(watcher)[2]).toBe('ssekit:leave {"clientId":"ada","sessions":0}');
    expect((await staying.presence('room')).clients).toEqual([{ clientId: 'watcher', sessions: 1 }]);
    await stayingServed.close();
  });
});
