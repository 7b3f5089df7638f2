import type { GapInfo } from '@ssekit/client';
import { waitFor } from '@ssekit/test-utils';
import { render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { useEventStream } from '../src/index.js';
import { startStreamServer } from './helpers/server.js';

type Events = { tick: { n: number } };

function Resumed({ url, gaps }: { url: string; gaps: GapInfo[] }) {
  const { state, lastGap } = useEventStream<Events>(url, {
    lastEventId: 'not-an-id-of-this-server',
    events: ['tick'],
    onGap: (gap) => gaps.push(gap),
  });
  return <p>{`${state} ${lastGap ? `gap ${lastGap.reason} ${lastGap.lastEventId}` : 'no gap'}`}</p>;
}

function Ticks({ url, states }: { url: string; states: string[] }) {
  const [ticks, setTicks] = useState<number[]>([]);
  const { state, lastGap } = useEventStream<Events>(url, {
    topics: ['ticks'],
    retryDelay: 20,
    maxRetryDelay: 100,
    events: { tick: (data) => setTicks((seen) => [...seen, data.n]) },
  });
  states.push(state);
  return <p>{`${state} [${ticks.join(',')}] ${lastGap?.reason ?? 'no gap'}`}</p>;
}

describe('gaps and restarts', () => {
  it('surfaces an ssekit:gap (an id the server cannot replay) as lastGap and onGap', async () => {
    const server = await startStreamServer<Events>();
    const gaps: GapInfo[] = [];
    render(<Resumed url={server.url} gaps={gaps} />);
    await screen.findByText('open gap unknown not-an-id-of-this-server');
    expect(gaps).toEqual([{ lastEventId: 'not-an-id-of-this-server', reason: 'unknown' }]);
  });

  it('reconnects after a server restart, reports the gap, and live events flow again', async () => {
    const server = await startStreamServer<Events>();
    const states: string[] = [];
    render(<Ticks url={server.url} states={states} />);
    await screen.findByText('open [] no gap');
    await server.broker.publish('ticks', { event: 'tick', data: { n: 1 } });
    await screen.findByText('open [1] no gap');
    // A restart: the new broker has no history, so the id the client resumes from is unknown to it.
    await server.restart();
    await waitFor(() => server.requests.length >= 2 && server.openStreams() === 1, 'the client to reconnect to the new server');
    await screen.findByText(/^open \[1\] (unknown|expired)$/);
    await server.broker.publish('ticks', { event: 'tick', data: { n: 2 } });
    await screen.findByText(/^open \[1,2\] (unknown|expired)$/);
    expect(states).toContain('reconnecting');
  });
});
