// A fresh app written from the README: one `Register` declaration types the injected broker, what
// `@EventStream()` methods return and the hooks, with no generics at any call.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { reject } from '@ssekit/core';
import {
  EventStream,
  type EventStreamResult,
  InjectBroker,
  type NestRequest,
  type NestStreamRequest,
  SseBroker,
  type SseConnection,
  SseModule,
} from '@ssekit/nestjs';
import { interval, map } from 'rxjs';
import { expectTypeOf } from 'vitest';

type Events = { tick: { at: Date }; notice: string };
type User = { id: string; name: string };

declare module '@ssekit/core' {
  interface Register {
    events: Events;
    principal: User;
    topics: { clock: 'tick'; news: 'notice' };
  }
}

@Injectable()
class Clock {
  constructor(@InjectBroker() private readonly broker: SseBroker) {}
  tick() {
    void this.broker.publish('clock', { event: 'tick', data: { at: new Date() } });
    // @ts-expect-error misspelt topic
    void this.broker.publish('clok', { event: 'tick', data: { at: new Date() } });
    // @ts-expect-error `clock` does not carry `notice`
    void this.broker.publish('clock', { event: 'notice', data: 'hi' });
    // @ts-expect-error misspelt payload field
    void this.broker.broadcast({ event: 'tick', data: { ta: new Date() } });
  }
}

@Controller()
class EventsController {
  @Get('events')
  @EventStream({ topics: ['clock'] })
  events(): EventStreamResult {
    return {
      topics: ['news'],
      onOpen: (connection) => {
        expectTypeOf(connection).toEqualTypeOf<SseConnection>();
        expectTypeOf(connection.principal).toEqualTypeOf<User>();
        connection.send({ event: 'notice', data: 'welcome' });
        // @ts-expect-error wrong data type
        connection.send({ event: 'notice', data: 42 });
      },
    };
  }

  @Get('ticks')
  @EventStream()
  ticks(): EventStreamResult<number> {
    return { source: interval(1000), map: (n) => ({ event: 'notice', data: String(n) }) };
  }

  @Get('observable')
  @EventStream()
  observable() {
    return interval(1000).pipe(map((n) => ({ event: 'notice', data: String(n) })));
  }

  @Get('misspelt')
  // @ts-expect-error misspelt topic
  @EventStream({ topics: ['clok'] })
  misspelt() {}

  @Get('wrong-result')
  // @ts-expect-error a method must return what to stream, not a number
  @EventStream()
  wrongResult() {
    return 42;
  }
}

@Module({
  imports: [
    SseModule.forRoot({
      authorize: (request) => {
        expectTypeOf(request).toEqualTypeOf<NestStreamRequest>();
        expectTypeOf(request.raw).toEqualTypeOf<NestRequest>();
        const session = request.raw.headers.cookie?.match(/session=(\w+)/)?.[1];
        return session ? { id: session, name: 'Ada' } : reject(401, 'Sign in first.');
      },
      // @ts-expect-error the registered principal has no `admin`
      authorizeTopic: (_topic, principal) => principal.admin,
    }),
  ],
  controllers: [EventsController],
  providers: [Clock],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
app.get(SseBroker).stats();
await app.close();
