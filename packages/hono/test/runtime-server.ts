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
      }): { port: number; stop(closeActiveConnections?: boolean): Promise<void> };
    }
  | undefined;
declare const process: { on(signal: 'SIGTERM', listener: () => void): void; exit(code: number): never };
declare const Deno:
  | {
      env: { get(name: string): string | undefined };
      serve(
        options: { port: number; hostname: string; onListen(address: { port: number }): void },
        handler: (request: Request) => Response | Promise<Response>,
      ): { shutdown(): Promise<void> };
      addSignalListener(signal: 'SIGTERM', listener: () => void): void;
      exit(code: number): never;
    }
  | undefined;

const env = (name: string) =>
  typeof Deno !== 'undefined' ? Deno.env.get(name) : (globalThis as { process?: { env: Record<string, string> } }).process?.env[name];
const broker = createContractBroker(JSON.parse(env('CONTRACT_OPTIONS') ?? '{}'));
const app = new Hono();
app.use('/events', cors({ origin: [CORS_ORIGIN] }));
app.on(['GET', 'POST'], '/events', (c) =>
  streamEvents(
    c,
    { broker, ...streamOptionsFromUrl(c.req.url) },
    sourceFromUrl(c.req.url, broker) ?? ((stream) => afterOpen(c.req.url, stream)),
  ),
);
// A burst: `count` broadcasts of `bytes`-byte events, all published in one tick, or each awaited
// before the next (`awaited`: one write per event, in one turn of the event loop).
app.post('/_burst', async (c) => {
  const { count, bytes, awaited } = (await c.req.json()) as { count: number; bytes: number; awaited?: boolean };
  const data = 'b'.repeat(bytes);
  if (awaited) for (let n = 0; n < count; n++) await broker.broadcast({ data: `${n}:${data}` });
  else await Promise.all(Array.from({ length: count }, (_, n) => broker.broadcast({ data: `${n}:${data}` })));
  return c.json({});
});
// Writes a line to stderr, so a test can tell that everything printed before it has arrived.
app.post('/_stderr-mark', (c) => {
  console.error('stderr-mark');
  return c.json({});
});
app.post('/_control/:verb', async (c) => c.json((await handleControl(broker, c.req.path, await c.req.json())) ?? {}));

if (typeof Bun !== 'undefined') {
  // IDLE_TIMEOUT: a shorter per-request idle timeout than Bun's 10 s default, for the test that
  // streams must outlive it.
  const idleTimeout = env('IDLE_TIMEOUT');
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', ...(idleTimeout && { idleTimeout: Number(idleTimeout) }), fetch: app.fetch });
  console.log(`listening ${server.port}`);
  const exit = () => process.exit(0);
  process.on('SIGTERM', () => gracefully(server.stop(), exit));
} else if (typeof Deno !== 'undefined') {
  const deno = Deno;
  const server = deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) }, app.fetch);
  deno.addSignalListener('SIGTERM', () => gracefully(server.shutdown(), () => deno.exit(0)));
}

/**
 * Stops as a production app would on SIGTERM: the broker has closed its streams (the suite's
 * shutdown does that first), the server finishes writing the responses it has, then the process
 * exits (at the latest after 2 s). Killed at once, a runtime could drop the last events of a
 * stream that the broker had already handed over.
 */
function gracefully(stopping: Promise<void>, exit: () => void): void {
  setTimeout(exit, 2_000);
  void stopping.then(exit, exit);
}
