// SseModule: the broker for injection, from forRoot() or forRootAsync(), and its shutdown.
import { Body, Controller, Get, Inject, Injectable, Module, Post, Res } from '@nestjs/common';
import { type Broker, createBroker } from '@ssekit/core';
import { openSilent, openSse, settlesWithin } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream, InjectBroker, SseBroker, SseModule } from '../src/index.js';
import { PLATFORMS, type RunningApp, startNestApp } from './nest-app.js';

const CONFIG = Symbol('config');

@Module({ providers: [{ provide: CONFIG, useValue: { retry: 2500 } }], exports: [CONFIG] })
class ConfigModule {}

@Injectable()
class NewsService {
  constructor(@InjectBroker() private readonly broker: SseBroker) {}
  publish(text: string) {
    return this.broker.publish('news', { event: 'notice', data: text });
  }
}

@Controller()
class NewsController {
  constructor(@Inject(NewsService) private readonly news: NewsService) {}

  @Get('events')
  @EventStream({ topics: ['news'] })
  events() {}

  @Post('news')
  async post(@Body() body: { text: string }) {
    return { id: await this.news.publish(body.text) };
  }
}

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.app.close();
  running = undefined;
});

describe.each(PLATFORMS)('SseModule on %s', (platform) => {
  it('forRootAsync() builds the broker from a factory with injected providers; services inject it', async () => {
    @Module({
      imports: [
        SseModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: async (config: { retry: number }) => ({ retry: config.retry, heartbeatInterval: 0 }),
        }),
      ],
      controllers: [NewsController],
      providers: [NewsService],
    })
    class AsyncModule {}
    running = await startNestApp(platform, AsyncModule);
    const reader = await openSse(`${running.url}/events`);
    expect(reader.status).toBe(200);
    const response = await fetch(`${running.url}/news`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'fresh' }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const [event] = await reader.waitForEvents(1);
    expect(event).toEqual({ event: 'notice', data: 'fresh', id });
    expect(reader.retries).toEqual([2500]);
    expect(running.app.get(SseBroker).stats().connections).toBe(1);
    reader.close();
  });

  it('app.close() ends every open stream with all it was sent, and does not wait on a silent socket', async () => {
    const broker = createBroker({ heartbeatInterval: 0 });
    @Module({ imports: [SseModule.forRoot({ broker, forceCloseAfter: 200 })], controllers: [NewsController], providers: [NewsService] })
    class ClosingModule {}
    running = await startNestApp(platform, ClosingModule);
    const readers = await Promise.all([openSse(`${running.url}/events`), openSse(`${running.url}/events`)]);
    const silent = await openSilent(running.port); // connected, never sends a request
    const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => broker.publish('news', { data: `n${n}` })));
    const closed = running.app.close();
    running = undefined;
    expect(await settlesWithin(closed, 5_000)).toBe(true);
    await Promise.all(readers.map((reader) => reader.done));
    for (const reader of readers) expect(reader.events.map((e) => e.id)).toEqual(ids);
    expect(broker.closed).toBe(true);
    silent.destroy();
  });

  it('leaves the broker open on shutdown with closeOnShutdown: false', async () => {
    const broker: Broker = createBroker({ heartbeatInterval: 0 });
    @Module({ imports: [SseModule.forRoot({ broker, closeOnShutdown: false })] })
    class KeepModule {}
    running = await startNestApp(platform, KeepModule);
    await running.app.close();
    running = undefined;
    expect(broker.closed).toBe(false);
    await broker.close();
  });

  it('refuses a broker given together with broker options, at start-up', async () => {
    @Module({ imports: [SseModule.forRoot({ broker: createBroker(), heartbeatInterval: 5 })] })
    class BothModule {}
    await expect(startNestApp(platform, BothModule)).rejects.toThrow(/either a broker or broker options/);
  });

  it('fails at start-up, naming what is missing, when SseModule is not imported', async () => {
    @Controller()
    class BareController {
      @Get('events')
      @EventStream()
      events() {}
    }
    @Module({ controllers: [BareController] })
    class MissingModule {}
    await expect(startNestApp(platform, MissingModule)).rejects.toThrow(/EventStreamInterceptor \(\?\)[\s\S]*SseBroker/);
  });
});

it('refuses a method with a @Res() parameter of its own, where it is declared', () => {
  expect(() => {
    class Writes {
      @Get('events')
      @EventStream()
      events(@Res() _response: unknown) {}
    }
    return Writes;
  }).toThrow(/remove its @Res\(\)\/@Next\(\) parameter/);
});
