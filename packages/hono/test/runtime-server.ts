// The Hono contract app on Bun or Deno (run by runtimes.test.ts in a child process). It imports
// the built package, as users of those runtimes would, and prints `listening <port>`.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import {
  afterOpen,
  CORS_ORIGIN,
  createContractBroker,
  handleControl,
  sourceFromUrl,
  streamOptionsFromUrl,
} from '../../contract/src/app.ts';
import { streamEvents } from '../dist/index.mjs';

declare const Bun:
  | {
      serve(options: {
        port: number;
        hostname: string;
        idleTimeout?: number;
        fetch: (request: Request, server: unknown) => Response | Promise<Response>;
      }): { port: number };
    }
  | undefined;
declare const Deno:
  | {
      env: { get(name: string): string | undefined };
      serve(
        options: { port: number; hostname: string; onListen(address: { port: number }): void },
        handler: (request: Request) => Response | Promise<Response>,
      ): unknown;
    }
  | undefined;

const env = (name: string) =>
  typeof Deno !== 'undefined' ? Deno.env.get(name) : (globalThis as { process?: { env: Record<string, string> } }).process?.env[name];
const broker = createContractBroker(JSON.parse(env('CONTRACT_OPTIONS') ?? '{}'));
const app = new Hono();
app.use('/events', cors({ origin: [CORS_ORIGIN] }));
app.get('/events', (c) =>
  streamEvents(
    c,
    { broker, ...streamOptionsFromUrl(c.req.url) },
    sourceFromUrl(c.req.url, broker) ?? ((stream) => afterOpen(c.req.url, stream)),
  ),
);
app.post('/_control/:verb', async (c) => c.json((await handleControl(broker, c.req.path, await c.req.json())) ?? {}));

if (typeof Bun !== 'undefined') {
  // IDLE_TIMEOUT: a shorter per-request idle timeout than Bun's 10 s default, for the test that
  // streams must outlive it.
  const idleTimeout = env('IDLE_TIMEOUT');
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', ...(idleTimeout && { idleTimeout: Number(idleTimeout) }), fetch: app.fetch });
  console.log(`listening ${server.port}`);
} else if (typeof Deno !== 'undefined') {
  Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) }, app.fetch);
}
