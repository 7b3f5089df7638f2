import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openRaw } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { directSocketOf } from '../src/node/direct-socket.js';

// The direct write path reads Node's private response state. An absent field reads as "no", so a
// Node release that renames one would turn the fast path off silently: these fail loudly instead.
describe('directSocketOf (Node internals)', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** Serves two pipelined requests and reports what each response looked like after its head. */
  async function inspectPipelined() {
    const seen: Array<{ direct: boolean; internals: Record<string, unknown> }> = [];
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      const raw = res as unknown as Record<string, unknown>;
      const socket = (res.socket ?? _req.socket) as unknown as Record<string, unknown>;
      seen.push({
        direct: directSocketOf(res) === res.socket && res.socket !== null,
        internals: {
          chunkedEncoding: raw.chunkedEncoding,
          outputData: Array.isArray(raw.outputData),
          socketOwner: socket._httpMessage === res,
        },
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const request = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
    const raw = await openRaw(port, request + request);
    await raw.until((text) => text.includes('\r\n\r\n'));
    while (seen.length < 2) await new Promise((r) => setImmediate(r));
    raw.socket.destroy();
    return seen;
  }

  it('takes the socket of a chunked response that owns it, through the internals it reads', async () => {
    const [owner] = await inspectPipelined();
    expect(owner?.internals).toEqual({ chunkedEncoding: true, outputData: true, socketOwner: true });
    expect(owner?.direct).toBe(true);
  });

  it('leaves a response queued behind a pipelined one to res.write', async () => {
    const [, queued] = await inspectPipelined();
    expect(queued?.internals.socketOwner).toBe(false);
    expect(queued?.direct).toBe(false);
  });

  it('leaves a wrapped res.write (compression, logging) alone', async () => {
    let direct: boolean | undefined;
    server = http.createServer((_req, res) => {
      const write = res.write;
      res.write = ((...args: Parameters<typeof write>) => write.apply(res, args)) as typeof write;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      direct = directSocketOf(res) !== undefined;
      res.end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    expect(direct).toBe(false);
  });
});
