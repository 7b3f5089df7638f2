import type { AddressInfo } from 'node:net';
import {
  afterOpen,
  CORS_ORIGIN,
  createContractBroker,
  localServer,
  runContractSuite,
  sourceFromUrl,
  streamOptionsFromUrl,
} from '@ssekit/contract';
import cors from 'cors';
import express from 'express';
import { expressSse } from '../src/index.js';

runContractSuite({
  name: 'express',
  async start(options) {
    const broker = createContractBroker(options);
    const app = express();
    app.use(cors({ origin: [CORS_ORIGIN] }));
    app.use(expressSse({ broker }));
    const events: express.RequestHandler = async (req, res) => {
      const source = sourceFromUrl(req.url, broker);
      if (source) await res.sse(source, streamOptionsFromUrl(req.url));
      else await afterOpen(req.url, await res.sse(streamOptionsFromUrl(req.url)));
    };
    app.get('/events', events);
    app.post('/events', events); // resumable answers start by POST
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return localServer(broker, url, () => new Promise<void>((resolve) => server.close(() => resolve())));
  },
});
