import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { streamEvents } from '@ssekit/hono';
import { type Context, Hono } from 'hono';
import type { ApiResult } from '../api.js';
import { isSource } from '../demo.js';
import type { Serve } from './serve-options.js';

export const serveHono: Serve = async (demo, { port, host, publicDir }) => {
  const app = new Hono();

  // On @hono/node-server, streamEvents writes straight to the Node response (core's Node bridge).
  app.get('/api/events', (c) => streamEvents(c, { broker: demo.broker, topics: demo.topics }, (connection) => demo.welcome(connection)));
  app.get('/metrics', async (c) => {
    const { contentType, body } = await demo.metrics();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.post('/api/notify', async (c) => send(c, await demo.notify(c.req.header('authorization'), await readJson(c))));
  app.post('/api/drop', async (c) => send(c, demo.drop(c.req.header('authorization'), await readJson(c))));
  // The assistant: answers are resumable streams, started by POST, resumed by GET (here or on
  // the other demo server, whose page needs CORS), stopped by DELETE.
  app.post('/api/answers', async (c) => {
    const answer = demo.ask(await readJson(c));
    return isSource(answer) ? streamEvents(c, { broker: demo.broker, resumable: true }, answer) : send(c, answer);
  });
  const cors = (c: Context) => {
    for (const [name, value] of Object.entries(demo.cors(c.req.header('origin')))) c.header(name, value);
  };
  app.options('/api/answers/:id', (c) => {
    cors(c);
    return c.body(null, 204);
  });
  app.get('/api/answers/:id', (c) => {
    cors(c);
    return streamEvents(c, { broker: demo.broker, resume: c.req.param('id') });
  });
  app.delete('/api/answers/:id', async (c) => {
    cors(c);
    return send(c, await demo.stopAnswer(c.req.header('authorization'), c.req.param('id')));
  });
  // The page is flat files at the root. Matching only those paths keeps the stream route to one
  // handler: a middleware on it (app.use('/*', …)) makes @ssekit/hono's response go through
  // Hono's c.res rewrap, which @hono/node-server then writes over the open stream.
  const page = serveStatic({ root: publicDir });
  app.get('/', page);
  app.get('/:file{[\\w.-]+}', page);

  const server = serve({ fetch: app.fetch, port, hostname: host });
  await once(server, 'listening'); // rejects on 'error', such as EADDRINUSE
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const send = (c: Context, result: ApiResult) =>
  result.body ? c.json(result.body, result.status as 200) : c.body(null, result.status as 204);

/** A body that is not JSON reads as `undefined`, which the API answers with 400. */
const readJson = (c: Context): Promise<unknown> => c.req.json().catch(() => undefined);
