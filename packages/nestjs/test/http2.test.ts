// Nest on Fastify over HTTP/2 (h2c): the stream goes out through Node's HTTP/2 compat response.
import http2 from 'node:http2';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { settlesWithin } from '@ssekit/test-utils';
import { expect, it } from 'vitest';
import { EventStream, type EventStreamResult, SseModule } from '../src/index.js';

@Controller()
class H2Controller {
  @Get('events')
  @EventStream()
  events(): EventStreamResult {
    return { onOpen: (connection) => connection.send({ event: 'hi', data: 'over h2' }) };
  }
}

@Module({ imports: [SseModule.forRoot({ heartbeatInterval: 0 })], controllers: [H2Controller] })
class H2Module {}

it('streams over HTTP/2 on Fastify without hop-by-hop headers', async () => {
  const app = await NestFactory.create(H2Module, new FastifyAdapter({ http2: true }), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const client = http2.connect(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);
  try {
    const request = client.request({ ':path': '/events', accept: 'text/event-stream' });
    const head = await new Promise<http2.IncomingHttpHeaders>((resolve) => request.on('response', resolve));
    expect(head[':status']).toBe(200);
    expect(head['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(head.connection).toBeUndefined();
    expect(head['transfer-encoding']).toBeUndefined();
    let body = '';
    request.setEncoding('utf8');
    await new Promise<void>((resolve) =>
      request.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes('over h2\n\n')) resolve();
      }),
    );
    expect(body).toBe(':\nevent: hi\ndata: over h2\n\n');
    const ended = new Promise((resolve) => request.on('end', resolve));
    // The broker ends the stream; the client's session, idle from then on, must not hold the close.
    expect(await settlesWithin(app.close(), 5_000)).toBe(true);
    await ended;
  } finally {
    client.close();
  }
});
