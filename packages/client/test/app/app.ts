// A fresh browser app written from the README: the events registered once for the client type
// every listener, with the wire shape (a `Date` arrives as a string).
import { createClient } from '@ssekit/client';
import { expectTypeOf } from 'vitest';

type Events = { tick: { n: number; at: Date }; chat: { from: string; text: string }; notice: string };

declare module '@ssekit/client' {
  interface Register {
    events: Events;
  }
}

const client = createClient('/events', { formats: { notice: 'text' } });
client.on('tick', (data) => {
  expectTypeOf(data).toEqualTypeOf<{ n: number; at: string }>();
  // @ts-expect-error the wire carries a string, not a Date
  data.at.getTime();
});
client.on('notice', (data) => expectTypeOf(data).toEqualTypeOf<string>());
// @ts-expect-error misspelt event
client.on('tik', () => {});
// @ts-expect-error misspelt payload field
client.on('chat', (data) => data.txt);
// @ts-expect-error `notice` is a string event: it must be read as text
createClient('/events');

for await (const event of client.events('chat')) expectTypeOf(event.parsed.from).toEqualTypeOf<string>();
