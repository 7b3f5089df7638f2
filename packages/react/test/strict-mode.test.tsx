import { waitFor } from '@ssekit/test-utils';
import { render, screen } from '@testing-library/react';
import { StrictMode, useEffect, useState } from 'react';
import { describe, expect, it } from 'vitest';
import { EventStreamProvider, useEventStream } from '../src/index.js';
import { startStreamServer } from './helpers/server.js';

type Events = { tick: { n: number } };

function Ticks({ url, handled }: { url: string; handled: number[] }) {
  const [last, setLast] = useState<number>();
  const { state } = useEventStream<Events>(url, {
    topics: ['ticks'],
    events: {
      tick: (data) => {
        handled.push(data.n);
        setLast(data.n);
      },
    },
  });
  return (
    <p>
      {state} {last ?? '–'}
    </p>
  );
}

/** Counts its mount effects: two under Strict Mode in development. */
function Probe({ mounts }: { mounts: { count: number } }) {
  useEffect(() => {
    mounts.count++;
  }, [mounts]);
  return null;
}

describe('Strict Mode', () => {
  it('mount, unmount, mount: one connection, every event handled once, and the stream closes on the server after unmount', async () => {
    const server = await startStreamServer<Events>();
    const handled: number[] = [];
    const mounts = { count: 0 };
    const { unmount } = render(
      <StrictMode>
        <EventStreamProvider>
          <Probe mounts={mounts} />
          <Ticks url={server.url} handled={handled} />
          <Ticks url={server.url} handled={handled} />
        </EventStreamProvider>
      </StrictMode>,
    );
    await waitFor(() => server.openStreams() === 1, 'the stream to open');
    expect(mounts.count).toBe(2);
    for (let n = 0; n < 3; n++) await server.broker.publish('ticks', { event: 'tick', data: { n } });
    await waitFor(() => screen.queryAllByText('open 2').length === 2, 'both components to show the third tick');
    // Listeners of the first (discarded) mount would show here as extra copies.
    expect(handled).toEqual([0, 0, 1, 1, 2, 2]);
    expect(server.requests).toHaveLength(1);
    unmount();
    await waitFor(() => server.closedStreams === 1 && server.openStreams() === 0, 'the server to see the stream close');
    expect(server.requests).toHaveLength(1);
  });
});
