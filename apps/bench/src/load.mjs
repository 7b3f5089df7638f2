// The load generator: raw sockets opened in batches, every event's sequence number checked.
// Lost, duplicated or reordered events are errors, not noise.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const EVENT = /"s":(\d+),"t":([\d.]+)/g;
const now = () => performance.timeOrigin + performance.now();

/** Latencies (ms) of events received by clients with `recordLatency` set. */
export const latencies = [];

/**
 * Opens `count` raw SSE clients to 127.0.0.1:port, `batch` at a time. `request(i)` gives the i-th
 * client's options (see {@link openClient}).
 */
export async function openClients(port, count, batch = 250, request = () => ({})) {
  const clients = [];
  for (let opened = 0; opened < count; opened += batch) {
    const size = Math.min(batch, count - opened);
    clients.push(...(await Promise.all(Array.from({ length: size }, (_, i) => openClient(port, request(opened + i))))));
  }
  return clients;
}

/** Closes every client in `list` (HTTP/2 clients: their sessions). */
export function destroyAll(list) {
  const sessions = new Set();
  for (const c of list) {
    if (c.session) sessions.add(c.session);
    else c.socket.destroy();
  }
  for (const session of sessions) session.destroy();
}

/**
 * The body parser every client shares: counts `client`'s events, checks their sequence numbers
 * and records latencies. Returns the function to feed each latin1 chunk of the body to.
 */
export function eventReader(client) {
  let tail = '';
  return (text) => {
    const buffer = tail + text;
    let consumed = 0;
    for (const match of buffer.matchAll(EVENT)) {
      const seq = Number(match[1]);
      if (client.next !== -1 && seq !== client.next) client.errors++;
      client.next = seq + 1;
      client.received++;
      if (client.recordLatency) latencies.push(now() - Number(match[2]));
      consumed = match.index + match[0].length;
    }
    tail = buffer.slice(consumed).slice(-96);
  };
}

/**
 * One client. `path` is the request's path and query (`/?topic=t1`), `lastEventId` sends a
 * `Last-Event-ID` header, `next` the first sequence number it must see (-1: whatever comes).
 */
export function openClient(port, { path = '/', lastEventId, next = -1 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const client = { socket, received: 0, next, errors: 0, recordLatency: false, closed: false };
    const head = `GET ${path} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n${lastEventId === undefined ? '' : `Last-Event-ID: ${lastEventId}\r\n`}\r\n`;
    const read = eventReader(client);
    let response = '';
    socket.setEncoding('latin1');
    socket.on('data', (text) => {
      if (response === undefined) return read(text);
      response += text;
      const end = response.indexOf('\r\n\r\n');
      if (end === -1) return;
      const body = response.slice(end + 4);
      response = undefined;
      resolve(client);
      read(body);
    });
    socket.on('close', () => {
      client.closed = true;
    });
    socket.on('error', (error) => (response === undefined ? undefined : reject(error)));
    socket.on('connect', () => socket.write(head));
  });
}

/** The p-th percentile of a list of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
