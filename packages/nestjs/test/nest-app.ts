/**
 * Starts a Nest application on either platform, on 127.0.0.1 and a free port.
 */
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

export const PLATFORMS = ['express', 'fastify'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface RunningApp {
  readonly app: INestApplication;
  readonly url: string;
  readonly port: number;
}

/** Creates `module` on `platform`, lets `configure` set it up (CORS, global enhancers), and listens. */
export async function startNestApp(
  platform: Platform,
  module: Type,
  configure: (app: INestApplication) => void = () => {},
): Promise<RunningApp> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(module, adapter, { logger: false, abortOnError: false });
  configure(app);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  return { app, url: `http://127.0.0.1:${port}`, port };
}
