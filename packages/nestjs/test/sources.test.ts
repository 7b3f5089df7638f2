// What an @EventStream() method may return: an RxJS Observable, an async iterable, or stream
// options with a source and an onOpen callback; on both platforms.
import { Controller, Get, Module } from '@nestjs/common';
import { type Broker, createBroker } from '@ssekit/core';
import { openSse, type SseReader, waitFor } from '@ssekit/test-utils';
import { concat, defer, interval, map, Observable, of, take, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream, type EventStreamResult, SseModule } from '../src/index.js';
import { PLATFORMS, type RunningApp, startNestApp } from './nest-app.js';

const SECRET = 'upstream failed: postgres://app:hunter2@10.0.0.3/db';
/** Observable subscriptions torn down, and errors the broker reported. */
const seen = { teardowns: 0, errors: [] as { phase: string; message: string }[] };

@Controller()
class SourcesController {
  @Get('observable')
  @EventStream()
  observable() {
    return interval(1).pipe(
      take(3),
      map((n) => ({ data: `tick ${n}`, id: `t${n}` })),
    );
  }

  /** Nest's `MessageEvent` shape, as `@Sse()` handlers emit it: `type` is the event name. */
  @Get('message-events')
  @EventStream()
  async messageEvents() {
    await new Promise((resolve) => setImmediate(resolve));
    return of({ type: 'greeting', data: { hello: 'world' } }, 'plain');
  }

  @Get('observable-fails')
  @EventStream()
  observableFails() {
    return concat(
      of('first'),
      defer(() => throwError(() => new Error(SECRET))),
    );
  }

  @Get('observable-forever')
  @EventStream()
  observableForever() {
    return new Observable<string>((subscriber) => {
      const timer = setInterval(() => subscriber.next('again'), 5);
      return () => {
        clearInterval(timer);
        seen.teardowns++;
      };
    });
  }

  @Get('generator')
  @EventStream({ retry: 1500 })
  generator(): EventStreamResult<number> {
    async function* numbers() {
      for (let n = 1; n <= 3; n++) yield n;
    }
    return { source: numbers(), map: (n) => ({ event: 'number', data: n * 10 }) };
  }

  @Get('wrong')
  @EventStream()
  wrong() {
    return 'topic' as never;
  }

  @Get('on-open')
  @EventStream()
  onOpen(): EventStreamResult {
    return {
      clientId: 'ada',
      onOpen: (connection) => {
        connection.send({ event: 'welcome', data: connection.clientId });
      },
    };
  }
}

let running: RunningApp | undefined;
let broker: Broker | undefined;
const readers: SseReader[] = [];

afterEach(async () => {
  for (const reader of readers.splice(0)) reader.close();
  await running?.app.close();
  running = undefined;
  seen.teardowns = 0;
  seen.errors.length = 0;
});

describe.each(PLATFORMS)('@EventStream() sources on %s', (platform) => {
  const start = async () => {
    broker = createBroker({
      heartbeatInterval: 0,
      onError: (error, { phase }) => seen.errors.push({ phase, message: error instanceof Error ? error.message : String(error) }),
    });
    @Module({ imports: [SseModule.forRoot({ broker })], controllers: [SourcesController] })
    class SourcesModule {}
    running = await startNestApp(platform, SourcesModule);
  };
  const open = async (path: string) => {
    const reader = await openSse(`${running?.url}${path}`);
    readers.push(reader);
    return reader;
  };

  it('streams every item of a returned Observable, then ends when it completes', async () => {
    await start();
    const reader = await open('/observable');
    await reader.done;
    expect(reader.status).toBe(200);
    expect(reader.events).toEqual([0, 1, 2].map((n) => ({ event: 'message', data: `tick ${n}`, id: `t${n}` })));
    await waitFor(() => broker?.stats().connections === 0, 'the stream closed');
  });

  it("sends Nest's MessageEvent `type` as the event name, and strings as data", async () => {
    await start();
    const reader = await open('/message-events');
    await reader.done;
    expect(reader.events.map((e) => [e.event, e.data])).toEqual([
      ['greeting', '{"hello":"world"}'],
      ['message', 'plain'],
    ]);
  });

  it('reports an Observable that errors through onError once; the client gets the error event, no secret, then the end', async () => {
    await start();
    const reader = await open('/observable-fails');
    await reader.done;
    expect(reader.events.map((e) => [e.event, e.data])).toEqual([
      ['message', 'first'],
      ['ssekit:error', '{"reason":"source-failed"}'],
    ]);
    expect(reader.text()).not.toContain('hunter2');
    await waitFor(() => seen.errors.length > 0, 'the failure reported');
    expect(seen.errors).toEqual([{ phase: 'pipe', message: SECRET }]);
  });

  it('unsubscribes from the Observable when the client leaves', async () => {
    await start();
    const reader = await open('/observable-forever');
    await reader.waitForEvents(2);
    expect(seen.teardowns).toBe(0);
    reader.close();
    await waitFor(() => seen.teardowns === 1, 'the Observable torn down');
    await waitFor(() => broker?.stats().connections === 0, 'the stream closed');
  });

  it('pipes an async generator through `map`, with the options of the decorator and the result', async () => {
    await start();
    const reader = await open('/generator');
    await reader.done;
    expect(reader.retries).toEqual([1500]);
    expect(reader.events.map((e) => [e.event, e.data])).toEqual([
      ['number', '10'],
      ['number', '20'],
      ['number', '30'],
    ]);
  });

  it('calls onOpen with the open connection, which stays open for publishes', async () => {
    await start();
    const reader = await open('/on-open');
    expect((await reader.waitForEvents(1))[0]).toMatchObject({ event: 'welcome', data: 'ada' });
    await broker?.send('ada', { data: 'direct' });
    expect((await reader.waitForEvents(2))[1]?.data).toBe('direct');
    expect(reader.ended()).toBe(false);
  });

  it('answers a method that returns something it cannot stream with a 500, and opens nothing', async () => {
    await start();
    const reader = await open('/wrong');
    await reader.done;
    expect(reader.status).toBe(500);
    expect(broker?.stats().connections).toBe(0);
  });
});
