import { Controller, Get, Module, Req } from '@nestjs/common';
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

/** The contract route, in Nest style: a controller whose method returns what to stream. */
@Controller()
class ContractController {
  constructor(@InjectBroker() private readonly broker: SseBroker) {}

  @Get('events')
  @EventStream()
  events(@Req() request: { url: string }): EventStreamResult {
    const options = streamOptionsFromUrl(request.url);
    const source = sourceFromUrl(request.url, this.broker);
    if (source) return { ...options, source };
    return { ...options, onOpen: (stream) => afterOpen(request.url, stream) };
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
