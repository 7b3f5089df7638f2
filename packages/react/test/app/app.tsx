// A fresh React app written from the README: the events registered once for @ssekit/client type
// every useEventStream without generics, with the wire shape (a `Date` arrives as a string).
import type { GapInfo, SseClientError } from '@ssekit/client';
import { type EventStreamState, useEventStream } from '@ssekit/react';
import { expectTypeOf } from 'vitest';

type Events = { tick: { n: number; at: Date }; chat: { from: string; text: string }; notice: string };

declare module '@ssekit/client' {
  interface Register {
    events: Events;
  }
}

export function Ticks() {
  const { state, error, lastGap, lastEvent } = useEventStream('/events', {
    formats: { notice: 'text' },
    events: {
      tick: (data, event) => {
        expectTypeOf(data).toEqualTypeOf<{ n: number; at: string }>();
        expectTypeOf(event.event).toEqualTypeOf<'tick'>();
        // @ts-expect-error the wire carries a string, not a Date
        data.at.getTime();
      },
      notice: (data) => expectTypeOf(data).toEqualTypeOf<string>(),
      // @ts-expect-error misspelt payload field
      chat: (data) => data.txt,
    },
  });
  expectTypeOf(state).toEqualTypeOf<EventStreamState>();
  expectTypeOf(error).toEqualTypeOf<SseClientError | undefined>();
  expectTypeOf(lastGap).toEqualTypeOf<GapInfo | undefined>();
  if (lastEvent?.event === 'chat') expectTypeOf(lastEvent.parsed).toEqualTypeOf<{ from: string; text: string }>();
  return <p>{state}</p>;
}

export function Mistakes() {
  // @ts-expect-error misspelt event name
  useEventStream('/events', { formats: { notice: 'text' }, events: { tik: () => {} } });
  // @ts-expect-error misspelt event name in a list
  useEventStream('/events', { formats: { notice: 'text' }, events: ['tik'] });
  // @ts-expect-error `notice` is a string event: it must be read as text
  useEventStream('/events');
  // @ts-expect-error the hook owns the connection's life: no signal
  useEventStream('/events', { formats: { notice: 'text' }, signal: AbortSignal.timeout(1) });
  // Explicit generics still win over the registered map.
  useEventStream<{ other: { ok: boolean } }>(null, { events: { other: (data) => expectTypeOf(data.ok).toEqualTypeOf<boolean>() } });
  return null;
}
