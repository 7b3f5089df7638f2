// The HTTP/2 baseline: a hand-written `http2.createSecureServer` at its best, on the core stream
// API (no compat layer), one pre-encoded Buffer per event written to every stream.
import http2 from 'node:http2';
import { certificate } from '../tls.mjs';
import { frame } from './event.mjs';

export function create() {
  const streams = new Set();
  const server = http2.createSecureServer(certificate());
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    streams.add(stream);
    stream.on('close', () => streams.delete(stream));
  });
  return {
    server,
    count: () => streams.size,
    publish(data, seq) {
      const bytes = Buffer.from(frame(seq, data));
      for (const stream of streams) stream.write(bytes);
    },
  };
}
