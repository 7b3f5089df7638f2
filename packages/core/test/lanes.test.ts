/**
 * Transports with one order per lane (a sharded Redis transport): the replay's floor is one
 * position per lane, and a live event is dropped only when it is at or before its own lane's
 * floor, at the seam (live events that arrive while the replay is read) and after it (events the
 * transport delivers late). Also the interest hooks: `ready(channels)`, `watch`, `unwatch`.
 */
import { openSse, waitFor } from '@ssekit/test-utils';
import { expect, it } from 'vitest';
import { createBroker, type ReplayResult, type Transport, type TransportListener, type TransportMessage } from '../src/index.js';
import { serveBroker } from './helpers/serve.js';

/** A two-lane in-process transport the test drives: it delivers what the test tells it to. */
function laneTransport() {
  const listeners = new Set<TransportListener>();
  const calls: string[] = [];
  let answer: (result: ReplayResult) => void = () => {};
  const replayAsked = { count: 0 };
  const transport: Transport = {
    publish: () => 'unused',
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    replay() {
      replayAsked.count++;
      return new Promise<ReplayResult>((resolve) => {
        answer = resolve;
      });
    },
    async ready(channels) {
      calls.push(`ready ${[...(channels ?? [])].join(' ')}`);
    },
    watch: (channel) => calls.push(`watch ${channel}`),
    unwatch: (channel) => calls.push(`unwatch ${channel}`),
    close() {},
  };
  const deliver = (lane: number, position: number, data: string) => {
    // Ids unlike the replayed ones: as a sharded transport's, they differ per node.
    const message: TransportMessage = { id: `live-${lane}:${position}`, channels: ['#t'], frame: `data: ${data}\n\n`, position, lane };
    for (const listener of listeners) listener.message(message);
  };
  const gap = (lane: number) => {
    for (const listener of listeners) listener.gap({ channels: ['#t'], detail: 'test', lane });
  };
  return { transport, calls, deliver, gap, replayAsked, answer: (result: ReplayResult) => answer(result) };
}

const message = (lane: number, position: number, data: string): TransportMessage => ({
  id: `${lane}:${position}`,
  channels: ['#t'],
  frame: `data: ${data}\n\n`,
  position,
  lane,
});

it('drops a live event only at or before the floor of its own lane, at the seam and after it', async () => {
  const lanes = laneTransport();
  const broker = createBroker({ transport: lanes.transport, heartbeatInterval: 0 });
  const served = await serveBroker(broker);
  try {
    const reader = await openSse(`${served.url}?topic=t`, { headers: { 'last-event-id': 'x' } });
    await waitFor(() => lanes.replayAsked.count === 1, 'the replay asked');
    // Live while the replay is read: lane 0 up to 5 and lane 1 up to 10 are in the replay.
    lanes.deliver(0, 5, 'late-0-5');
    lanes.deliver(1, 7, 'late-1-7');
    lanes.deliver(0, 6, 'live-0-6');
    lanes.answer({ messages: [message(0, 5, 'r-0-5'), message(1, 10, 'r-1-10')], through: [5, 10] });
    await reader.waitForEvents(3);
    // After the seam: a newer lane-0 event must not lift lane 1's floor.
    lanes.deliver(1, 9, 'late-1-9');
    lanes.deliver(1, 10, 'late-1-10');
    lanes.deliver(0, 4, 'late-0-4');
    lanes.deliver(1, 11, 'live-1-11');
    await reader.waitForEvents(4);
    // Lane 1 lost history (its positions may start over): its floor goes, lane 0's stays.
    lanes.gap(1);
    lanes.deliver(0, 3, 'late-0-3');
    lanes.deliver(1, 2, 'restarted-1-2');
    const events = await reader.waitForEvents(6);
    expect(events.map((event) => (event.event === 'ssekit:gap' ? 'gap' : event.data))).toEqual([
      'r-0-5',
      'r-1-10',
      'live-0-6',
      'live-1-11',
      'gap',
      'restarted-1-2',
    ]);
    reader.close();
  } finally {
    await served.close();
  }
});

it('tells the transport the channels a stream needs before it registers, and which it joins and leaves', async () => {
  const lanes = laneTransport();
  const broker = createBroker({ transport: lanes.transport, heartbeatInterval: 0 });
  const served = await serveBroker(broker);
  try {
    const reader = await openSse(`${served.url}?topic=t&client=ada`);
    await waitFor(() => broker.stats().connections === 1, 'the stream open');
    const connection = served.connections[0];
    if (!connection) throw new Error('no connection');
    broker.subscribe(connection, ['u']);
    broker.unsubscribe(connection, ['t']);
    expect(lanes.calls).toEqual(['ready * @ada #t', 'watch *', 'watch @ada', 'watch #t', 'watch #u', 'unwatch #t']);
    reader.close();
    await waitFor(() => broker.stats().connections === 0, 'the stream closed');
    expect(lanes.calls.slice(6).sort()).toEqual(['unwatch #u', 'unwatch *', 'unwatch @ada'].sort());
  } finally {
    await served.close();
  }
});
