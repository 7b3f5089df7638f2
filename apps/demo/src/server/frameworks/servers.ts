import type { Framework } from '../../shared/events.js';
import { serveExpress } from './express.js';
import { serveFastify } from './fastify.js';
import { serveHono } from './hono.js';
import { serveKoa } from './koa.js';
import type { Serve } from './serve-options.js';

/** Each framework's wiring, by name. */
export const servers: Record<Framework, Serve> = {
  fastify: serveFastify,
  express: serveExpress,
  koa: serveKoa,
  hono: serveHono,
};
