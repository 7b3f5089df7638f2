import type { CloseInfo } from '@ssekit/client';
import { waitFor } from '@ssekit/test-utils';
import { act, render, screen } from '@testing-library/react';
import { Component, type ReactNode, useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { EventStreamProvider, type EventStreamState, isSseReactError, useEventStream } from '../src/index.js';
import { startStreamServer } from './helpers/server.js';

type Events = { price: { symbol: string; value: number; at: Date }; notice: string; halt: null };
const formats = { notice: 'text' } as const;

function Feed({ url, got }: { url: string; got: string[] }) {
  const { state } = useEventStream<Events>(url, {
    topics: ['t'],
    formats,
    events: {
      price: (data, event) => got.push(`price ${data.symbol} ${data.value} ${typeof data.at} ${event.id}`),
      notice: (data, event) => got.push(`notice ${JSON.stringify(data)} ${event.event}`),
    },
  });
  return <p>{state}</p>;
}

function Status({ url, states, errors }: { url: string; states: EventStreamState[]; errors: string[] }) {
  const { state, error } = useEventStream<Events>(url, { formats });
  states.push(state);
  if (error) errors.push(error.code);
  return <p>{state}</p>;
}

function Refused({ url, onClose }: { url: string; onClose: (info: CloseInfo) => void }) {
  const { state, error } = useEventStream<Events>(url, { formats, maxRetries: 0, onClose });
  return <p>{`${state} ${error?.code ?? ''} ${error?.status ?? ''}`}</p>;
}

const renders = { reader: 0, handlerOnly: 0, handled: 0 };

function Reader({ url }: { url: string }) {
  renders.reader++;
  const { lastEvent } = useEventStream<Events>(url, { formats, events: ['price'] });
  if (lastEvent?.event === 'price') return <p>last {lastEvent.parsed.value}</p>;
  return <p>none yet</p>;
}

function HandlerOnly({ url }: { url: string }) {
  renders.handlerOnly++;
  const { state } = useEventStream<Events>(url, { formats, events: { price: () => renders.handled++ } });
  return <p>handler {state}</p>;
}

function Idle({ url, enabled }: { url: string | null; enabled: boolean }) {
  const { state } = useEventStream<Events>(url, { formats, enabled });
  return <p>{state}</p>;
}

function TokenApp({ url, tokens }: { url: string; tokens: string[] }) {
  const [token, setToken] = useState('t1');
  const headers = () => {
    tokens.push(token);
    return { authorization: `Bearer ${token}` };
  };
  return (
    <EventStreamProvider options={{ headers }}>
      <button type="button" onClick={() => setToken('t2')}>
        token {token}
      </button>
      <Idle url={url} enabled />
    </EventStreamProvider>
  );
}

function Upload({ url, keyed }: { url: string; keyed: boolean }) {
  const { state } = useEventStream<Events>(url, { formats, method: 'POST', body: new FormData(), ...(keyed ? { key: 'upload' } : {}) });
  return <p>{state}</p>;
}

class Boundary extends Component<{ children: ReactNode }, { error?: unknown }> {
  override state: { error?: unknown } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    const { error } = this.state;
    if (error === undefined) return this.props.children;
    return <p role="alert">{isSseReactError(error) ? `${error.name} ${error.code} ${error.message}` : String(error)}</p>;
  }
}

describe('events by type', () => {
  it('each handler gets only its own event type, parsed by its format, in order, with the event', async () => {
    const server = await startStreamServer<Events>();
    const got: string[] = [];
    render(<Feed url={server.url} got={got} />);
    await screen.findByText('open');
    const id = await server.broker.publish('t', { event: 'price', data: { symbol: 'ACME', value: 1, at: new Date(0) } });
    await server.broker.publish('t', { event: 'halt', data: null }); // nobody here handles `halt`
    await server.broker.publish('t', { event: 'notice', data: '42' }); // text, though it looks like JSON
    await waitFor(() => got.length === 2, 'the price and the notice');
    expect(got).toEqual([`price ACME 1 string ${id}`, 'notice "42" notice']);
  });

  it('lastEvent is the last event the component takes; a component that does not read it is not re-rendered by events', async () => {
    const server = await startStreamServer<Events>();
    render(
      <>
        <Reader url={server.url} />
        <HandlerOnly url={server.url} />
      </>,
    );
    await screen.findByText('handler open');
    const before = { ...renders };
    for (let value = 1; value <= 5; value++)
      await server.broker.broadcast({ event: 'price', data: { symbol: 'ACME', value, at: new Date() } });
    await screen.findByText('last 5');
    await waitFor(() => renders.handled === before.handled + 5, 'five prices handled');
    expect(renders.handlerOnly).toBe(before.handlerOnly);
    expect(renders.reader).toBeGreaterThan(before.reader);
  });
});

describe('connection state', () => {
  it('goes connecting -> open -> reconnecting -> open, and exposes the error in between', async () => {
    const server = await startStreamServer<Events>({ retry: 50 });
    const states: EventStreamState[] = [];
    const errors: string[] = [];
    render(<Status url={server.url} states={states} errors={errors} />);
    await screen.findByText('open');
    for (const connection of server.broker.connections()) connection.close();
    await screen.findByText('reconnecting');
    await waitFor(() => server.requests.length === 2, 'the reconnect');
    await screen.findByText('open');
    expect(states.filter((state, i) => state !== states[i - 1])).toEqual(['connecting', 'open', 'reconnecting', 'open']);
    expect(errors).toContain('CLOSED');
  });

  it('is closed, with the error, after a refusal it does not retry', async () => {
    const server = await startStreamServer<Events>();
    await server.broker.close(); // a closed broker answers 503, retryable: maxRetries 0 gives up at once
    const closes: CloseInfo[] = [];
    render(<Refused url={server.url} onClose={(info) => closes.push(info)} />);
    await screen.findByText('closed HTTP_STATUS 503');
    expect(closes).toEqual([expect.objectContaining({ reason: 'error' })]);
  });

  it('is idle, with no request, when the URL is null or enabled is false', async () => {
    const server = await startStreamServer<Events>();
    const { rerender } = render(<Idle url={null} enabled />);
    await screen.findByText('idle');
    rerender(<Idle url={server.url} enabled={false} />);
    await screen.findByText('idle');
    await fetch(server.url.replace('/events', '/marker'));
    expect(server.requests).toEqual([]);
    rerender(<Idle url={server.url} enabled />);
    await screen.findByText('open');
    rerender(<Idle url={server.url} enabled={false} />);
    await screen.findByText('idle');
    await waitFor(() => server.closedStreams === 1, 'the server to see the stream close');
  });
});

describe('options', () => {
  it('provider defaults apply, and a function option is called through its latest version', async () => {
    const server = await startStreamServer<Events>();
    const tokens: string[] = [];
    render(<TokenApp url={server.url} tokens={tokens} />);
    await screen.findByText('open');
    act(() => screen.getByRole('button').click());
    await screen.findByText('token t2');
    expect(server.requests).toHaveLength(1); // a new headers function is not a new connection
    for (const connection of server.broker.connections()) connection.close();
    await waitFor(() => tokens.length === 2, 'the reconnect');
    expect(tokens).toEqual(['t1', 't2']);
  });

  it('a body it cannot compare is a typed error that asks for a key; with a key it connects', async () => {
    const server = await startStreamServer<Events>();
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      render(
        <Boundary>
          <Upload url={server.url} keyed={false} />
        </Boundary>,
      );
      const shown = await screen.findByRole('alert');
      expect(shown.textContent).toMatch(/^SseReactError UNCOMPARABLE_OPTION .*pass a `key` option/);
    } finally {
      quiet.mockRestore();
    }
    render(<Upload url={server.url} keyed />);
    await screen.findByText('open');
    expect(server.requests).toEqual(['/events']);
  });
});
