/**
 * The four adapters' apps, built the way their contract tests build them (one `/events` route
 * with `streamOptionsFromUrl` and the contract's `afterOpen` for `?then=`, a CORS allowlist), plus
 * `/health` to probe responsiveness, on a Node HTTP server whose timeouts the test chooses.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import cors from '@fastify/cors';
import { createAdaptorServer } from '@hono/node-server';
import koaCors from '@koa/cors';
import Router from '@koa/router';
import { afterOpen, CORS_ORIGIN, sourceFromUrl, streamOptionsFromUrl } from '@ssekit/contract/app';
import type { Broker } from '@ssekit/core';
import { closeServer } from '@ssekit/core/node';
import { expressSse } from '@ssekit/express';
import { ssePlugin } from '@ssekit/fastify';
import { streamEvents } from '@ssekit/hono';
import { koaSse } from '@ssekit/koa';
import expressCors from 'cors';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { cors as honoCors } from 'hono/cors';
import Koa from 'koa';

export { CORS_ORIGIN };

/** Every adapter, in the order the suite reports them. */
export const ADAPTERS = ['fastify', 'express', 'koa', 'hono'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/**
 * Node HTTP server limits. Left out: the framework's own default stays (that is what the
 * slowloris test reports).
 */
export interface ServerLimits {
  /** ms to receive the complete request head (Node default 60,000). */
  headersTimeout?: number;
  /** ms to receive the complete request (Node default 300,000; Fastify sets 0 = none). */
  requestTimeout?: number;
  /** ms between the checks of the two timeouts above (Node default 30,000). */
  connectionsCheckingInterval?: number;
  /** Bytes of request line plus headers (Node default 16,384). */
  maxHeaderSize?: number;
  /** ms an idle keep-alive socket is kept (Node 5,000; Fastify 72,000). */
  keepAliveTimeout?: number;
  /** TCP keepalive on accepted sockets (Node default off), first probe after `keepAliveInitialDelay` ms idle. */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** Listen backlog: connections the kernel queues before accept (Node 511; capped by net.core.somaxconn). */
  backlog?: number;
}

/** The limits ssekit recommends for an event-stream server (docs/reliability.md). */
export const RECOMMENDED_LIMITS: Required<Omit<ServerLimits, 'maxHeaderSize' | 'keepAlive' | 'keepAliveInitialDelay' | 'backlog'>> = {
  headersTimeout: 10_000,
  requestTimeout: 15_000,
  connectionsCheckingInterval: 1_000,
  keepAliveTimeout: 5_000,
};

export interface AppOptions {
  broker: Broker;
  limits?: ServerLimits;
  /** Listen on this port (default: any free one). */
  port?: number;
}

/** A running adapter app. */
export interface RunningApp {
  readonly name: AdapterName;
  readonly url: string;
  readonly port: number;
  readonly broker: Broker;
  readonly server: http.Server;
  /** Closes the broker (streams end gracefully), drops any socket left, and closes the server. */
  close(): Promise<void>;
  /**
   * The production shutdown the READMEs document (docs/reliability.md): Fastify's `app.close()`
   * (the plugin closes the broker, then drops what is left after `forceCloseAfter`), the others'
   * `closeServer(server, { broker, grace })` from `@ssekit/core/node`.
   */
  shutdown(grace?: number): Promise<void>;
}

interface Started {
  server: http.Server;
  /** Closes the app (Fastify: `app.close()`, which closes the broker; others: `server.close()`). */
  closeApp: () => Promise<void>;
}

function listen(server: http.Server, port: number, backlog: number | undefined): Promise<void> {
  return new Promise((resolve) => server.listen({ port, host: '127.0.0.1', ...(backlog !== undefined && { backlog }) }, () => resolve()));
}

function closingOf(server: http.Server): () => Promise<void> {
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

async function startFastify(broker: Broker, limits: ServerLimits, serverOptions: http.ServerOptions, port: number): Promise<Started> {
  const app = Fastify({
    http: serverOptions,
    ...(limits.requestTimeout !== undefined && { requestTimeout: limits.requestTimeout }),
    ...(limits.keepAliveTimeout !== undefined && { keepAliveTimeout: limits.keepAliveTimeout }),
  });
  await app.register(cors, { origin: [CORS_ORIGIN] });
  await app.register(ssePlugin, { broker });
  app.route({
    method: ['GET', 'POST'], // POST starts resumable answers (`?source=answer&resumable=1`)
    url: '/events',
    eventStream: true,
    handler: async (request, reply) => {
      const source = sourceFromUrl(request.url, broker);
      if (source) return reply.eventStream(source, streamOptionsFromUrl(request.url));
      await afterOpen(request.url, await reply.eventStream(streamOptionsFromUrl(request.url)));
    },
  });
  app.get('/health', async () => ({ ok: true }));
  await app.listen({ port, host: '127.0.0.1', ...(limits.backlog !== undefined && { backlog: limits.backlog }) });
  return { server: app.server, closeApp: () => app.close() };
}

async function startExpress(broker: Broker, limits: ServerLimits, serverOptions: http.ServerOptions, port: number): Promise<Started> {
  const app = express();
  app.use(expressCors({ origin: [CORS_ORIGIN] }));
  app.use(expressSse({ broker }));
  const events: express.RequestHandler = async (req, res) => {
    const source = sourceFromUrl(req.url, broker);
    if (source) await res.sse(source, streamOptionsFromUrl(req.url));
    else await afterOpen(req.url, await res.sse(streamOptionsFromUrl(req.url)));
  };
  app.get('/events', events);
  app.post('/events', events); // resumable answers start by POST
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  const server = http.createServer(serverOptions, app);
  await listen(server, port, limits.backlog);
  return { server, closeApp: closingOf(server) };
}

async function startKoa(broker: Broker, limits: ServerLimits, serverOptions: http.ServerOptions, port: number): Promise<Started> {
  const app = new Koa();
  const router = new Router();
  router.all('/events', async (ctx) => {
    const source = sourceFromUrl(ctx.url, broker);
    if (source) await ctx.sse(source, streamOptionsFromUrl(ctx.url));
    else await afterOpen(ctx.url, await ctx.sse(streamOptionsFromUrl(ctx.url)));
  });
  router.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });
  app.use(koaCors({ origin: (ctx) => (ctx.get('origin') === CORS_ORIGIN ? CORS_ORIGIN : '') }));
  app.use(koaSse({ broker }));
  app.use(router.routes()).use(router.allowedMethods());
  const server = http.createServer(serverOptions, app.callback());
  await listen(server, port, limits.backlog);
  return { server, closeApp: closingOf(server) };
}

async function startHono(broker: Broker, limits: ServerLimits, serverOptions: http.ServerOptions, port: number): Promise<Started> {
  const app = new Hono();
  app.use('/events', honoCors({ origin: [CORS_ORIGIN] }));
  app.on(['GET', 'POST'], '/events', (c) =>
    streamEvents(
      c,
      { broker, ...streamOptionsFromUrl(c.req.url) },
      sourceFromUrl(c.req.url, broker) ?? ((stream) => afterOpen(c.req.url, stream)),
    ),
  );
  app.get('/health', (c) => c.json({ ok: true }));
  // createAdaptorServer is what serve() uses; listening ourselves lets the test set the backlog.
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions }) as http.Server;
  await listen(server, port, limits.backlog);
  return { server, closeApp: closingOf(server) };
}

/** Starts `name`'s app on 127.0.0.1. */
export async function startApp(name: AdapterName, options: AppOptions): Promise<RunningApp> {
  const { broker, limits = {}, port = 0 } = options;
  const serverOptions: http.ServerOptions = {};
  if (limits.headersTimeout !== undefined) serverOptions.headersTimeout = limits.headersTimeout;
  if (limits.requestTimeout !== undefined) serverOptions.requestTimeout = limits.requestTimeout;
  if (limits.connectionsCheckingInterval !== undefined) serverOptions.connectionsCheckingInterval = limits.connectionsCheckingInterval;
  if (limits.maxHeaderSize !== undefined) serverOptions.maxHeaderSize = limits.maxHeaderSize;
  if (limits.keepAlive !== undefined) serverOptions.keepAlive = limits.keepAlive;
  if (limits.keepAliveInitialDelay !== undefined) serverOptions.keepAliveInitialDelay = limits.keepAliveInitialDelay;

  const { server, closeApp } =
    name === 'fastify'
      ? await startFastify(broker, limits, serverOptions, port)
      : name === 'express'
        ? await startExpress(broker, limits, serverOptions, port)
        : name === 'koa'
          ? await startKoa(broker, limits, serverOptions, port)
          : await startHono(broker, limits, serverOptions, port);
  if (limits.keepAliveTimeout !== undefined) server.keepAliveTimeout = limits.keepAliveTimeout;
  const actualPort = (server.address() as AddressInfo).port;
  return {
    name,
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    broker,
    server,
    async close() {
      await broker.close();
      server.closeAllConnections();
      await closeApp();
    },
    async shutdown(grace = 1_000) {
      if (name === 'fastify') await closeApp();
      else await closeServer(server, { broker, grace });
    },
  };
}
