// HTTP/2 through the compat API by hand (`res.write` of one pre-encoded Buffer on each
// `Http2ServerResponse`): what Node's compat layer costs, which every framework on HTTP/2 uses.
import http2 from 'node:http2';
import { certificate } from '../tls.mjs';
import { frame } from './event.mjs';

export function create() {
  const clients = new Set();
  const server = http2.createSecureServer(certificate(), (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  return {
    server,
    count: () => clients.size,
    publish(data, seq) {
      const bytes = Buffer.from(frame(seq, data));
      for (const res of clients) res.write(bytes);
    },
  };
}
