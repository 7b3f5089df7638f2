import { Controller, Get, Module, Post, Req } from '@nestjs/common';
import {
  afterOpen,
  CORS_ORIGIN,
  createContractBroker,
  localServer,
  runContractSuite,
  sourceFromUrl,
  streamOptionsFromUrl,
} from '@ssekit/contract';
import { EventStream, type EventStreamResult, InjectBroker, type SseBroker, SseModule } from '../src/index.js';
import { PLATFORMS, startNestApp } from './nest-app.js';

/** What the contract route streams for `url` (see `@ssekit/contract`). */
function contractStream(url: string, broker: SseBroker): EventStreamResult {
  const options = streamOptionsFromUrl(url);
  const source = sourceFromUrl(url, broker);
  if (source) return { ...options, source };
  return { ...options, onOpen: (stream) => afterOpen(url, stream) };
}

/** The contract route, in Nest style: a controller whose method returns what to stream. */
@Controller()
class ContractController {
  constructor(@InjectBroker() private readonly broker: SseBroker) {}

  @Get('events')
  @EventStream()
  events(@Req() request: { url: string }): EventStreamResult {
    return contractStream(request.url, this.broker);
  }

  /** Resumable answers start by POST (`?source=answer&resumable=1`). */
  @Post('events')
  @EventStream()
  start(@Req() request: { url: string }): EventStreamResult {
    return contractStream(request.url, this.broker);
  }
}

for (const platform of PLATFORMS) {
  runContractSuite({
    name: `nestjs (${platform})`,
    async start(options) {
      const broker = createContractBroker(options);
      @Module({ imports: [SseModule.forRoot({ broker })], controllers: [ContractController] })
      class ContractModule {}
      const { app, url } = await startNestApp(platform, ContractModule, (app) => app.enableCors({ origin: [CORS_ORIGIN] }));
      return localServer(broker, url, () => app.close());
    },
  });
}
