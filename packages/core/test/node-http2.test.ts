import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker } from '../src/index.js';
import { bufferView } from '../src/node/buffer-view.js';
import { createNodeSink, toStreamRequest } from '../src/node/index.js';

const socketGetter = Object.getOwnPropertyDescriptor(http2.Http2ServerResponse.prototype, 'socket')?.get;

let server: http2.Http2Server | undefined;
let session: http2.ClientHttp2Session | undefined;
afterEach(async () => {
  session?.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  session = undefined;
});

/**
 * An HTTP/2 (h2c) server streaming every request through the Node bridge. Each response records
 * what the bridge wrote to it and how often its `socket` was read (the compat API makes a socket
 * proxy per response on that read).
 */
async function serveH2() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const seen: Array<{ writes: unknown[]; socketReads: number }> = [];
  server = http2.createServer((req, res) => {
    const record = { writes: [] as unknown[], socketReads: 0 };
    seen.push(record);
    Object.defineProperty(res, 'socket', {
      get() {
        record.socketReads++;
        return socketGetter?.call(res);
      },
    });
    const write = res.write.bind(res) as (chunk: unknown) => boolean;
    res.write = ((chunk: unknown) => {
      record.writes.push(chunk);
      return write(chunk);
    }) as typeof res.write;
    void broker.stream(toStreamRequest(req), {}, () => createNodeSink(res));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  session = http2.connect(`http://127.0.0.1:${port}`);
  return { broker, seen, session };
}

/** One event stream on `client`: its head, and its body so far. */
async function openStream(client: http2.ClientHttp2Session) {
  const request = client.request({ ':path': '/', accept: 'text/event-stream' });
  const stream = { head: {} as http2.IncomingHttpHeaders, body: '' };
  request.setEncoding('utf8');
  request.on('data', (text: string) => {
    stream.body += text;
  });
  stream.head = await new Promise((resolve) => request.on('response', resolve));
  return stream;
}

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the Node bridge on HTTP/2 compat responses', () => {
  it('delivers every event in order to streams multiplexed on one session', async () => {
    const { broker, seen, session } = await serveH2();
    const streams = [await openStream(session), await openStream(session)];
    await until(() => broker.stats().connections === 2);
    for (const stream of streams) {
      expect(stream.head[':status']).toBe(200);
      expect(stream.head['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(stream.head.connection).toBeUndefined();
    }
    for (let i = 0; i < 50; i++) await broker.broadcast({ id: String(i), data: `e${i}` });
    await until(() => streams.every((s) => s.body.includes('data: e49\n\n')));
    const expected = Array.from({ length: 50 }, (_, i) => `id: ${i}\ndata: e${i}\n\n`).join('');
    for (const stream of streams) expect(stream.body.slice(stream.body.indexOf('id: 0'))).toBe(expected);
    expect(seen).toHaveLength(2);
  });

  it('writes one shared Buffer view per event to every response, and never reads the socket', async () => {
    const { broker, seen, session } = await serveH2();
    const streams = [await openStream(session), await openStream(session), await openStream(session)];
    await until(() => broker.stats().connections === 3);
    const before = seen.map((r) => r.writes.length);
    await broker.broadcast({ data: 'shared' });
    await until(() => streams.every((s) => s.body.includes('data: shared\n\n')));
    const chunks = seen.map((r, i) => r.writes[before[i] as number]);
    for (const chunk of chunks) expect(Buffer.isBuffer(chunk)).toBe(true);
    expect(new Set(chunks).size).toBe(1);
    expect(Buffer.from(chunks[0] as Buffer).toString()).toMatch(/\ndata: shared\n\n$/);
    session.destroy();
    await until(() => broker.stats().connections === 0);
    expect(seen.map((r) => r.socketReads)).toEqual([0, 0, 0]);
  });
});

describe('bufferView', () => {
  it('returns one view over the same bytes for a run of the same chunk, Buffers as they are', () => {
    const chunk = new TextEncoder().encode('data: x\n\n');
    const view = bufferView(chunk);
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view.buffer).toBe(chunk.buffer);
    expect(view.byteOffset).toBe(chunk.byteOffset);
    expect(view.toString()).toBe('data: x\n\n');
    expect(bufferView(chunk)).toBe(view);
    const next = new TextEncoder().encode('data: y\n\n');
    expect(bufferView(next)).not.toBe(view);
    expect(bufferView(next).toString()).toBe('data: y\n\n');
    const buffer = Buffer.from('data: z\n\n');
    expect(bufferView(buffer)).toBe(buffer);
  });
});
