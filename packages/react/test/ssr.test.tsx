// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { EventStreamProvider, useEventStream } from '../src/index.js';
import { startStreamServer } from './helpers/server.js';

type Events = { tick: { n: number } };

const seen = { handled: 0 };

function Feed({ url }: { url: string }) {
  const { state, lastEvent } = useEventStream<Events>(url, { topics: ['ticks'], events: { tick: () => seen.handled++ } });
  return <p>{`${state} ${lastEvent?.parsed.n ?? 'none'}`}</p>;
}

function Disabled() {
  const { state } = useEventStream<Events>(null);
  return <p>{state}</p>;
}

describe('server rendering', () => {
  it('renders the connecting state and makes no request', async () => {
    const server = await startStreamServer<Events>();
    const html = renderToString(
      <EventStreamProvider>
        <Feed url={server.url} />
        <Feed url={server.url} />
        <Disabled />
      </EventStreamProvider>,
    );
    expect(typeof window).toBe('undefined');
    expect(html).toBe('<p>connecting none</p><p>connecting none</p><p>idle</p>');
    // A request made during the render would have been sent before this one was answered.
    const marker = await fetch(server.url.replace('/events', '/marker'));
    expect(marker.status).toBe(204);
    expect(server.requests).toEqual([]);
    expect(seen.handled).toBe(0);
  });
});
