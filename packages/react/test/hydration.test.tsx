import { waitFor } from '@ssekit/test-utils';
import { act, screen } from '@testing-library/react';
import { hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStreamProvider, useEventStream } from '../src/index.js';
import { startStreamServer } from './helpers/server.js';

type Events = { tick: { n: number } };

function Feed({ url }: { url: string }) {
  const { state, lastEvent } = useEventStream<Events>(url, { topics: ['ticks'], events: ['tick'] });
  return <p>{`${state} ${lastEvent?.parsed.n ?? 'none'}`}</p>;
}

const App = ({ url }: { url: string }) => (
  <EventStreamProvider>
    <Feed url={url} />
    <Feed url={url} />
  </EventStreamProvider>
);

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
});

describe('hydration', () => {
  it('hydrates the server HTML without a mismatch, then opens one connection', async () => {
    const server = await startStreamServer<Events>();
    const container = document.createElement('div');
    document.body.append(container);
    container.innerHTML = renderToString(<App url={server.url} />);
    expect(server.requests).toEqual([]);
    const errors = vi.spyOn(console, 'error');
    const recoverable: unknown[] = [];
    try {
      act(() => {
        root = hydrateRoot(container, <App url={server.url} />, { onRecoverableError: (error) => recoverable.push(error) });
      });
      await waitFor(() => screen.queryAllByText('open none').length === 2, 'both components to show the open stream');
      expect(recoverable).toEqual([]);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
    await server.broker.publish('ticks', { event: 'tick', data: { n: 1 } });
    await waitFor(() => screen.queryAllByText('open 1').length === 2, 'the tick in both');
    expect(server.requests).toHaveLength(1);
  });
});
