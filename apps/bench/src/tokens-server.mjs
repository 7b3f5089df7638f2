// The server of the token benchmark (tokens.mjs), in its own process: `GET /answer?n=T` streams an
// answer of T tokens written three ways, chosen by argv[2]:
//   direct     a hand-written node:http handler: `res.write('data: tN\n\n')`, waiting for drain
//   pipe       ssekit core: the generator handed to broker.stream() (what `sse(source)` does)
//   resumable  ssekit core: the same with `{ resumable: true }` (ids, kept for resumes)
// It prints `listening <port>` and answers `cpu` / `heap` on IPC.
import http from 'node:http';
import { createBroker, SSE_HEADERS } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';

const mode = process.argv[2] ?? 'direct';
const broker = createBroker({ heartbeatInterval: 0, resumable: { maxPerClient: 1_000_000, maxEvents: 1_000_000, ttl: 600_000 } });

async function* tokens(count) {
  for (let i = 1; i <= count; i++) yield `t${i} `;
}

async function direct(res, count) {
  res.writeHead(200, SSE_HEADERS);
  for await (const token of tokens(count)) {
    if (!res.write(`data: ${token}\n\n`)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

const server = http.createServer((req, res) => {
  const count = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 100);
  if (mode === 'direct') {
    direct(res, count).catch(() => res.destroy());
    return;
  }
  const options = mode === 'resumable' ? { resumable: true } : {};
  broker.stream(toStreamRequest(req), options, (headers) => createNodeSink(res, { headers }), tokens(count)).catch(() => res.destroy());
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('message', (message) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  } else if (message === 'heap') {
    globalThis.gc?.();
    globalThis.gc?.();
    process.send?.({ heap: process.memoryUsage().heapUsed });
  }
});
process.on('SIGINT', () => process.exit(0)); // a --cpu-prof run writes its profile on exit
