// The runtime's own baseline on Bun or Deno: a hand-written `ReadableStream` per client, one
// pre-encoded Uint8Array per event enqueued to every stream.
import { frame } from '../event.mjs';

const encoder = new TextEncoder();
const HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
// A first chunk at once, so the runtime sends the head before the first event.
const OPENING = encoder.encode(':\n\n');

export function create() {
  const clients = new Set();
  return {
    fetch() {
      let controller;
      const body = new ReadableStream({
        start(c) {
          controller = c;
          clients.add(c);
          c.enqueue(OPENING);
        },
        cancel() {
          clients.delete(controller);
        },
      });
      return new Response(body, { headers: HEADERS });
    },
    count: () => clients.size,
    publish(data, seq) {
      const bytes = encoder.encode(frame(seq, data));
      for (const controller of clients) controller.enqueue(bytes);
    },
  };
}
