import { waitFor } from '@ssekit/test-utils';
import { act, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { createStreamRegistry, EventStreamProvider, useEventStream } from '../src/index.js';
import { startStreamServer } from './helpers/server.js';

type Events = { price: { symbol: string; value: number }; notice: string };

function Price({ url, topics = ['prices'], id }: { url: string; topics?: string[]; id: string }) {
  const [value, setValue] = useState<number>();
  const { state } = useEventStream<Events>(url, {
    topics,
    formats: { notice: 'text' },
    events: { price: (data) => setValue(data.value) },
  });
  return (
    <p data-testid={id}>
      {state} {value ?? '–'}
    </p>
  );
}

function Page({ url, count }: { url: string; count: number }) {
  return (
    <>
      {Array.from({ length: count }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the list only grows and shrinks at its end
        <Price key={i} url={url} id={`p${i}`} />
      ))}
    </>
  );
}

function Counter({ url, seen }: { url: string; seen: string[] }) {
  const [renders, setRenders] = useState(0);
  useEventStream<Events>(url, {
    topics: ['prices'],
    formats: { notice: 'text' },
    // A new function on every render, closing over this render's count.
    events: { price: (data) => seen.push(`${data.value}@${renders}`) },
  });
  return (
    <button type="button" onClick={() => setRenders((n) => n + 1)}>
      render {renders}
    </button>
  );
}

describe('sharing one connection', () => {
  it('two components on the same URL and topics share one connection, and both get every event', async () => {
    const server = await startStreamServer<Events>();
    render(
      <EventStreamProvider>
        <Price url={server.url} id="a" />
        <Price url={server.url} topics={['prices', 'prices']} id="b" />
      </EventStreamProvider>,
    );
    await screen.findByText('open –', { selector: '[data-testid=a]' });
    await screen.findByText('open –', { selector: '[data-testid=b]' });
    expect(server.openStreams()).toBe(1);
    expect(server.requests).toEqual(['/events?topic=prices']);
    await server.broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 42 } });
    await screen.findByText('open 42', { selector: '[data-testid=a]' });
    await screen.findByText('open 42', { selector: '[data-testid=b]' });
    expect(server.requests).toHaveLength(1);
  });

  it('different topics are different connections; topic order does not matter', async () => {
    const server = await startStreamServer<Events>();
    render(
      <EventStreamProvider>
        <Price url={server.url} topics={['prices', 'news']} id="a" />
        <Price url={server.url} topics={['news', 'prices']} id="b" />
        <Price url={server.url} topics={['news']} id="c" />
      </EventStreamProvider>,
    );
    for (const id of ['a', 'b', 'c']) await screen.findByText('open –', { selector: `[data-testid=${id}]` });
    expect(server.openStreams()).toBe(2);
    expect([...server.requests].sort()).toEqual(['/events?topic=news', '/events?topic=news&topic=prices']);
    await server.broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 7 } });
    await screen.findByText('open 7', { selector: '[data-testid=a]' });
    await screen.findByText('open 7', { selector: '[data-testid=b]' });
    // `c` is on `news` only: a marker on its topic arrives after the price would have.
    await server.broker.publish(['news', 'prices'], { event: 'price', data: { symbol: 'ACME', value: 8 } });
    await screen.findByText('open 8', { selector: '[data-testid=c]' });
    await screen.findByText('open 8', { selector: '[data-testid=a]' });
  });

  it('the connection stays while one component uses it and closes (on the server too) when the last unmounts', async () => {
    const server = await startStreamServer<Events>();
    const { rerender, unmount } = render(
      <EventStreamProvider>
        <Page url={server.url} count={3} />
      </EventStreamProvider>,
    );
    await screen.findByText('open –', { selector: '[data-testid=p2]' });
    rerender(
      <EventStreamProvider>
        <Page url={server.url} count={1} />
      </EventStreamProvider>,
    );
    await server.broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 1 } });
    await screen.findByText('open 1', { selector: '[data-testid=p0]' });
    expect(server.openStreams()).toBe(1);
    expect(server.closedStreams).toBe(0);
    unmount();
    await waitFor(() => server.closedStreams === 1 && server.openStreams() === 0, 'the server to see the stream close');
    expect(server.requests).toHaveLength(1);
  });

  it('an inline handler that changes on every render neither reconnects nor is called stale', async () => {
    const server = await startStreamServer<Events>();
    const seen: string[] = [];
    render(<Counter url={server.url} seen={seen} />);
    await waitFor(() => server.openStreams() === 1, 'the stream to open');
    for (let i = 1; i <= 3; i++) act(() => screen.getByRole('button').click());
    await screen.findByText('render 3');
    await server.broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 5 } });
    await waitFor(() => seen.length === 1, 'the price');
    expect(seen).toEqual(['5@3']);
    expect(server.requests).toHaveLength(1);
  });

  it('a component that remounts in the same commit (a new key) keeps the open connection', async () => {
    const server = await startStreamServer<Events>();
    const { rerender } = render(<Price key="first" url={server.url} id="a" />);
    await screen.findByText('open –');
    rerender(<Price key="second" url={server.url} id="a" />);
    await server.broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 3 } });
    await screen.findByText('open 3');
    expect(server.requests).toHaveLength(1);
    expect(server.closedStreams).toBe(0);
  });

  it('providers given one registry share its connections; closeDelay keeps one open for a remount, then closes it', async () => {
    const server = await startStreamServer<Events>();
    const registry = createStreamRegistry({ closeDelay: 300 });
    const page = (
      <>
        <EventStreamProvider registry={registry}>
          <Price url={server.url} id="a" />
        </EventStreamProvider>
        <EventStreamProvider registry={registry}>
          <Price url={server.url} id="b" />
        </EventStreamProvider>
      </>
    );
    const first = render(page);
    await screen.findByText('open –', { selector: '[data-testid=b]' });
    expect(registry.size).toBe(1);
    first.unmount();
    // Within the delay a new tree takes the open connection over.
    const second = render(page);
    await server.broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 9 } });
    await screen.findByText('open 9', { selector: '[data-testid=a]' });
    expect(server.requests).toHaveLength(1);
    second.unmount();
    expect(registry.size).toBe(1);
    await waitFor(() => server.closedStreams === 1 && registry.size === 0, 'the connection to close after closeDelay');
    expect(server.requests).toHaveLength(1);
  });
});
