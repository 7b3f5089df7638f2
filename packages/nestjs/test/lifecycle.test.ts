// What runs before the stream opens, on both platforms: guards, interceptors, pipes and the method
// itself, whose exceptions are HTTP errors answered by exception filters (nestjs/nest#12670).
import {
  type ArgumentsHost,
  BadRequestException,
  type CallHandler,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  type NestInterceptor,
  ParseIntPipe,
  Query,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { type Broker, createBroker } from '@ssekit/core';
import { openSse, type SseReader } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream, SseModule, SseRefusedException } from '../src/index.js';
import { PLATFORMS, type RunningApp, startNestApp } from './nest-app.js';

/** What ran, in order, for the requests of one test. */
const calls: string[] = [];

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    calls.push('guard');
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return request.headers.authorization === 'Bearer ok';
  }
}

@Injectable()
class StampInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    calls.push('interceptor');
    const response = context.switchToHttp().getResponse<{ header(name: string, value: string): unknown }>();
    response.header('x-stamp', 'before-open');
    return next.handle();
  }
}

@Injectable()
class RefuseInterceptor implements NestInterceptor {
  intercept(): never {
    throw new ForbiddenException('Not through this interceptor.');
  }
}

/** Answers refusals in its own shape: the refusal's headers are already on the response. */
@Catch(SseRefusedException)
class RefusalFilter implements ExceptionFilter {
  catch(error: SseRefusedException, host: ArgumentsHost) {
    calls.push(`filter:${error.getStatus()}`);
    const response = host.switchToHttp().getResponse<{
      status?(code: number): unknown;
      code?(code: number): unknown;
      header(name: string, value: string): unknown;
      send(body: string): unknown;
    }>();
    if (response.code) response.code(error.getStatus());
    else response.status?.(error.getStatus());
    response.header('content-type', 'application/json');
    response.send(JSON.stringify({ refused: error.message }));
  }
}

@Controller()
class LifecycleController {
  @Get('throws')
  @EventStream()
  throws() {
    calls.push('handler');
    // nestjs/nest#12670: with @Sse() this arrives as an SSE message on an open stream.
    throw new ForbiddenException({ message: 'Not your stream.', code: 'E_FORBIDDEN' });
  }

  @Get('rejects')
  @EventStream()
  async rejects() {
    calls.push('handler');
    await new Promise((resolve) => setImmediate(resolve));
    throw new BadRequestException('Pick a room first.');
  }

  @Get('guarded')
  @UseGuards(TokenGuard)
  @UseInterceptors(StampInterceptor)
  @EventStream({ topics: ['news'] })
  guarded() {
    calls.push('handler');
  }

  @Get('intercepted')
  @UseInterceptors(RefuseInterceptor)
  @EventStream()
  intercepted() {
    calls.push('handler');
  }

  @Get('piped')
  @EventStream()
  piped(@Query('n', ParseIntPipe) n: number) {
    calls.push(`handler:${n}`);
    return { topics: [`n:${n}`] };
  }

  @Get('filtered')
  @UseGuards(TokenGuard)
  @EventStream({ clientId: 'one' })
  filtered() {}
}

let running: RunningApp | undefined;
let broker: Broker | undefined;
const readers: SseReader[] = [];

afterEach(async () => {
  for (const reader of readers.splice(0)) reader.close();
  await running?.app.close();
  running = undefined;
  calls.length = 0;
});

describe.each(PLATFORMS)('@EventStream() on %s', (platform) => {
  const start = async (options: { filter?: boolean; maxConnectionsPerClient?: number; failingHook?: boolean } = {}) => {
    broker = createBroker({
      heartbeatInterval: 0,
      maxConnectionsPerClient: options.maxConnectionsPerClient,
      retryAfter: 7,
      authorize: options.failingHook
        ? () => {
            throw new Error('lookup failed: postgres://app:hunter2@10.0.0.3/db');
          }
        : undefined,
    });
    @Module({ imports: [SseModule.forRoot({ broker })], controllers: [LifecycleController] })
    class LifecycleModule {}
    running = await startNestApp(platform, LifecycleModule, (app) => {
      if (options.filter) app.useGlobalFilters(new RefusalFilter());
    });
    return running;
  };
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const reader = await openSse(`${running?.url}${path}`, { headers });
    readers.push(reader);
    return reader;
  };

  it('answers an HttpException the method throws with its status and body, not an event (nestjs/nest#12670)', async () => {
    await start();
    const reader = await open('/throws');
    await reader.done;
    expect(reader.status).toBe(403);
    expect(reader.headers['content-type']).toContain('application/json');
    expect(JSON.parse(reader.text())).toEqual({ message: 'Not your stream.', code: 'E_FORBIDDEN' });
    expect(reader.events).toEqual([]);
    expect(broker?.stats().connections).toBe(0);
  });

  it('answers an async method that rejects with an HttpException the same way', async () => {
    await start();
    const reader = await open('/rejects');
    await reader.done;
    expect(reader.status).toBe(400);
    expect(JSON.parse(reader.text())).toMatchObject({ statusCode: 400, message: 'Pick a room first.' });
    expect(calls).toEqual(['handler']);
  });

  it('runs guards and interceptors before the stream opens, and nothing after a guard refuses', async () => {
    await start();
    const refused = await open('/guarded');
    await refused.done;
    expect(refused.status).toBe(403);
    expect(calls).toEqual(['guard']);
    calls.length = 0;
    const reader = await open('/guarded', { authorization: 'Bearer ok' });
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reader.headers['x-stamp']).toBe('before-open'); // set by the interceptor, sent with the head
    expect(calls).toEqual(['guard', 'interceptor', 'handler']);
    await broker?.publish('news', { data: 'fresh' });
    expect((await reader.waitForEvents(1))[0]?.data).toBe('fresh');
  });

  it('answers an interceptor that throws with an HTTP error, and never calls the method', async () => {
    await start();
    const reader = await open('/intercepted');
    await reader.done;
    expect(reader.status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('runs pipes on the method parameters first: a 400 for a bad one, the stream for a good one', async () => {
    await start();
    const bad = await open('/piped?n=abc');
    await bad.done;
    expect(bad.status).toBe(400);
    expect(calls).toEqual([]);
    const good = await open('/piped?n=7');
    expect(good.status).toBe(200);
    expect(calls).toEqual(['handler:7']);
    await broker?.publish('n:7', { data: 'seven' });
    expect((await good.waitForEvents(1))[0]?.data).toBe('seven');
  });

  it('answers a client that refuses text/event-stream with 406 before the method runs', async () => {
    await start();
    const reader = await open('/piped?n=1', { accept: 'application/json' });
    await reader.done;
    expect(reader.status).toBe(406);
    expect(calls).toEqual([]);
  });

  it("hands the broker's refusals to the app's exception filters, with their headers", async () => {
    await start({ filter: true, maxConnectionsPerClient: 1 });
    const first = await open('/filtered', { authorization: 'Bearer ok' });
    expect(first.status).toBe(200);
    const second = await open('/filtered', { authorization: 'Bearer ok' });
    await second.done;
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('7');
    expect(JSON.parse(second.text()).refused).toMatch(/\w/);
    expect(calls).toEqual(['guard', 'guard', 'filter:429']);
    expect(broker?.stats().connections).toBe(1);
  });

  it('answers an admission hook that throws with a 500 that tells the client nothing of the error', async () => {
    await start({ failingHook: true });
    const reader = await open('/piped?n=2');
    await reader.done;
    expect(reader.status).toBe(500);
    expect(reader.text()).not.toContain('hunter2');
    expect(calls).toEqual(['handler:2']);
  });
});
