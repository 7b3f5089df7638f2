// One load process of the capacity run: raw-socket SSE streams spread over the server ports, each
// bound to one of this process's source addresses (so the ~28,000 ephemeral ports are per
// address, not shared by all). A lean parser counts events by the sequence number in their data,
// checks order and loss, and puts the latency from the timestamp in the data into a histogram.
//   node capacity-load.mjs '{"ports":[…],"addresses":["127.0.0.2"],"connectTimeout":20000}'
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const { ports, addresses, connectTimeout } = JSON.parse(process.argv[2]);
const EVENT = /"s":(\d+),"t":([\d.]+)/g;
/** Latency histogram: 0.1 ms buckets up to 60 s, the last one for everything above. */
const BUCKET_MS = 0.1;
const histogram = new Uint32Array(600_001);
const now = () => performance.timeOrigin + performance.now();
const streams = [];
let expected = 0;
let started = 0;

function record(stream, seq, sentAt) {
  if (seq !== stream.next) stream.errors++;
  stream.next = seq + 1;
  stream.received++;
  histogram[Math.min(histogram.length - 1, Math.round((now() - sentAt) / BUCKET_MS))]++;
}

/** Opens one stream; resolves once its response headers say 200, rejects with an error code. */
function openStream(index) {
  const port = ports[index % ports.length];
  const localAddress = addresses[Math.floor(index / ports.length) % addresses.length];
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const stream = { socket, next: 0, received: 0, errors: 0, closed: false };
    let tail = '';
    let headed = false;
    const fail = (code) => {
      socket.destroy();
      reject(Object.assign(new Error(code), { code }));
    };
    socket.setTimeout(connectTimeout, () => fail('TIMEOUT'));
    socket.setEncoding('latin1');
    socket.on('data', (text) => {
      let buffer = tail + text;
      if (!headed) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) {
          tail = buffer;
          return;
        }
        const status = buffer.slice(9, 12);
        if (status !== '200') return fail(`HTTP_${status}`);
        headed = true;
        socket.setTimeout(0);
        buffer = buffer.slice(end + 4);
        resolve(stream);
      }
      let consumed = 0;
      for (const match of buffer.matchAll(EVENT)) {
        record(stream, Number(match[1]), Number(match[2]));
        consumed = match.index + match[0].length;
      }
      tail = buffer.slice(consumed).slice(-96);
    });
    socket.on('close', () => {
      stream.closed = true;
    });
    socket.on('error', (error) => (headed ? undefined : fail(error.code ?? error.message)));
    socket.on('connect', () => socket.write('GET /events HTTP/1.1\r\nHost: capacity\r\nAccept: text/event-stream\r\n\r\n'));
  });
}

/** RSS, or NaN when reading it needs a descriptor this process, at its limit, does not have. */
function residentSetSize() {
  try {
    return process.memoryUsage.rss();
  } catch {
    return Number.NaN;
  }
}

const handlers = {
  /** Opens `count` more streams at once; reports how many opened and the failures by code. */
  async open({ count }) {
    const results = await Promise.allSettled(Array.from({ length: count }, () => openStream(started++)));
    const failures = {};
    for (const result of results) {
      if (result.status === 'fulfilled') streams.push(result.value);
      else failures[result.reason.code] = (failures[result.reason.code] ?? 0) + 1;
    }
    return { opened: streams.length, failures };
  },
  cpu: () => ({ cpu: process.cpuUsage() }),
  expect({ events }) {
    expected = events;
    return {};
  },
  progress: () => ({
    streams: streams.length,
    complete: streams.reduce((n, s) => n + (s.next >= expected ? 1 : 0), 0),
    closed: streams.reduce((n, s) => n + (s.closed ? 1 : 0), 0),
  }),
  result() {
    let lost = 0;
    let errors = 0;
    let closed = 0;
    for (const s of streams) {
      lost += Math.max(0, expected - s.received);
      errors += s.errors;
      closed += s.closed ? 1 : 0;
    }
    const buckets = [];
    for (let i = 0; i < histogram.length; i++) if (histogram[i] > 0) buckets.push([i, histogram[i]]);
    return { streams: streams.length, lost, errors, closed, buckets, bucketMs: BUCKET_MS, rss: residentSetSize() };
  },
  exit: () => process.exit(0),
};

process.on('message', async ({ id, type, ...args }) => {
  const result = await handlers[type](args);
  process.send({ id, ...result });
});
process.send({ id: 0 });
