/**
 * The contract app: the broker setup and stream options every adapter's test server uses, so the
 * suite sees the same server behind every framework. Safe to import from Bun and Deno.
 */
import { type Broker, type BrokerStats, type Connection, createBroker, reject, type StreamOptions, type StreamSource } from '@ssekit/core';

/** The only origin in the contract servers' CORS allowlist (an allowlist, never a fixed string or `*`). */
export const CORS_ORIGIN = 'http://allowed.test';

/** What a test asks of the server it starts. */
export interface ContractOptions {
  /** Require `Authorization: Bearer <client id>`; `Bearer forbidden` gets 403. */
  auth?: boolean;
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  retryAfter?: number;
  maxBufferedBytes?: number;
  heartbeatInterval?: number;
  historySize?: number;
}

/** What a contract broker saw besides its streams: reported errors, sources told to stop. */
export interface ContractLog {
  /** Every `onError` report, in order: its phase and the error's message. */
  errors: { phase: string; message: string }[];
  /** How many `?source=forever` generators had their `return()` called (their `finally` ran). */
  returned: number;
}

const logs = new WeakMap<Broker, ContractLog>();

/** The log of a broker made by {@link createContractBroker}. */
export function contractLog(broker: Broker): ContractLog {
  const log = logs.get(broker);
  if (!log) throw new Error('not a contract broker');
  return log;
}

/** A broker configured from {@link ContractOptions}, whose `onError` reports go to its {@link contractLog}. */
export function createContractBroker(options: ContractOptions = {}): Broker {
  const log: ContractLog = { errors: [], returned: 0 };
  const broker = createBroker({
    onError: (error, { phase }) => log.errors.push({ phase, message: error instanceof Error ? error.message : String(error) }),
    heartbeatInterval: options.heartbeatInterval ?? 0,
    history: { historySize: options.historySize ?? 1000 },
    ...(options.maxConnections !== undefined && { maxConnections: options.maxConnections }),
    ...(options.maxConnectionsPerClient !== undefined && { maxConnectionsPerClient: options.maxConnectionsPerClient }),
    ...(options.retryAfter !== undefined && { retryAfter: options.retryAfter }),
    ...(options.maxBufferedBytes !== undefined && { maxBufferedBytes: options.maxBufferedBytes }),
    closeTimeout: 2_000,
    authorize: options.auth
      ? (request) => {
          const token = request.header('authorization')?.replace(/^Bearer /, '');
          if (!token) return false;
          if (token === 'forbidden') return reject(403, 'This token may not open streams.');
          return { id: token };
        }
      : undefined,
  });
  logs.set(broker, log);
  return broker;
}

/** Stream options from the contract route's query: `?topic=a&topic=b&client=ada&retry=100`. */
export function streamOptionsFromUrl(url: string): StreamOptions {
  const query = new URL(url, 'http://localhost').searchParams;
  const options: StreamOptions = { topics: query.getAll('topic') };
  const client = query.get('client');
  if (client) options.clientId = client;
  // Only what the broker accepts: anything else is the client's garbage, not a server fault.
  const retry = query.get('retry');
  if (retry && /^\d{1,9}$/.test(retry)) options.retry = Number(retry);
  const resume = query.get('resume');
  if (resume) options.resume = resume;
  if (query.get('resumable') === '1') options.resumable = true;
  return options;
}

/** An answer of `count` tokens (`t1`…), one per timer turn, returning `count`: the `?source=answer&n=` route's. */
async function* answer(count: number): AsyncGenerator<string, number> {
  for (let i = 1; i <= count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    yield `t${i}`;
  }
  return count;
}

/** The tokens the `?then=pipe-done` route pipes, in order, before its `done` event. */
export const PIPED_TOKENS: readonly string[] = ['Hel', 'lo', ', wor', 'ld'];

/** A model's token stream, as an LLM route would pipe it: each token a little later. */
async function* tokens(): AsyncGenerator<string> {
  for (const token of PIPED_TOKENS) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield token;
  }
}

/**
 * The message of the error the `?then=pipe-throws` route's source throws: a stand-in for a secret
 * (a connection string) that must never reach the client.
 */
export const PIPE_FAILURE_MESSAGE = 'upstream failed: postgres://app:hunter2@10.0.0.3/db';

/** A model's token stream that fails after its first token. */
async function* failingTokens(): AsyncGenerator<string> {
  yield PIPED_TOKENS[0] as string;
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new Error(PIPE_FAILURE_MESSAGE);
}

/** Tokens, one every 5 ms, until the client leaves; counts the `return()` calls in the log. */
async function* forever(log: ContractLog): AsyncGenerator<string> {
  try {
    for (let n = 0; ; n++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      yield String(n);
    }
  } finally {
    log.returned++;
  }
}

/**
 * The source the contract route hands to the adapter's `sse(source, options)` from its
 * `?source=` query, or `undefined` to open a stream and call {@link afterOpen}:
 * - `generator`: an async generator of {@link PIPED_TOKENS}; the stream ends after them.
 * - `readable`: a WHATWG `ReadableStream` of the same tokens.
 * - `forever`: tokens until the client leaves (see {@link ContractLog.returned}).
 * - `answer`: `n` tokens `t1`…`tn` (`&n=`), returning `n`; with `&resumable=1` it runs as a
 *   resumable stream (the route answers `POST` too), resumed by `GET ?resume=<id>`.
 */
export function sourceFromUrl(url: string, broker: Broker): StreamSource<string> | undefined {
  switch (new URL(url, 'http://localhost').searchParams.get('source')) {
    case 'generator':
      return tokens();
    case 'readable': {
      const queue = [...PIPED_TOKENS];
      return new ReadableStream<string>({
        pull: (controller) => {
          const token = queue.shift();
          if (token === undefined) controller.close();
          else controller.enqueue(token);
        },
      });
    }
    case 'forever':
      return forever(contractLog(broker));
    case 'answer':
      return answer(Math.min(100_000, Number(new URL(url, 'http://localhost').searchParams.get('n') ?? 10)));
    default:
      return undefined;
  }
}

/**
 * What the contract route does with the stream it just opened, from its `?then=` query. Every
 * contract app calls it right after opening the stream, in the same tick:
 * - `send-close`: `send({ data: 'only' })`, then `close()`.
 * - `send-send-close`: `send({ data: 'a' })`, `send({ data: 'b' })`, then `close()`.
 * - `pipe-done`: `await pipe(tokens)` ({@link PIPED_TOKENS}), `send({ event: 'done' })`, `close()`.
 * - `pipe-throws`: `await pipe(source)` whose source yields one token, then throws an error with
 *   {@link PIPE_FAILURE_MESSAGE}: the broker reports it through `onError` and `pipe` resolves.
 * - anything else (or none): nothing; the stream stays open.
 */
export async function afterOpen(url: string, stream: Connection): Promise<void> {
  switch (new URL(url, 'http://localhost').searchParams.get('then')) {
    case 'send-close':
      stream.send({ data: 'only' });
      stream.close();
      return;
    case 'send-send-close':
      stream.send({ data: 'a' });
      stream.send({ data: 'b' });
      stream.close();
      return;
    case 'pipe-done':
      await stream.pipe(tokens());
      stream.send({ event: 'done', data: String(PIPED_TOKENS.length) });
      stream.close();
      return;
    case 'pipe-throws':
      await stream.pipe(failingTokens());
      return;
  }
}

/** Broadcasts `event` and starts the broker's graceful close in the same tick. */
async function broadcastAndClose(broker: Broker, event: Record<string, unknown>): Promise<void> {
  const sent = broker.broadcast(event);
  const closed = broker.close();
  await Promise.all([sent, closed]);
}

/** The server under test, as the suite drives it. */
export interface ContractServer {
  /** Base URL, e.g. `http://127.0.0.1:4321`; the stream route is `${url}/events`. */
  readonly url: string;
  readonly port: number;
  publish(topics: string | string[], event: Record<string, unknown>): Promise<string>;
  broadcast(event: Record<string, unknown>): Promise<string>;
  send(clientId: string, event: Record<string, unknown>): Promise<string>;
  stats(): Promise<BrokerStats>;
  /** The broker's {@link ContractLog}. */
  log(): Promise<ContractLog>;
  /** Ends every open stream from the server side (clients will reconnect). */
  disconnectAll(): Promise<void>;
  /** Graceful shutdown: the broker closes every stream, then the server closes. */
  shutdown(): Promise<void>;
  /** {@link ContractServer.shutdown}, with `broadcast(event)` called in the same tick before it. */
  shutdownAfterBroadcast(event: Record<string, unknown>): Promise<void>;
}

/** Starts one adapter's contract app. */
export interface ContractHarness {
  readonly name: string;
  /**
   * True when the server never holds two pipelined streams of one socket at once: Bun and Deno
   * read a pipelined request only once the response ahead of it has ended (and Bun ends a stream
   * at once when a request is pipelined behind it). The suite then does not wait for two streams.
   * @default false
   */
  readonly pipelinedRequestsWait?: boolean;
  start(options: ContractOptions): Promise<ContractServer>;
}

/** A {@link ContractServer} for an app running in this process. */
export function localServer(broker: Broker, url: string, closeServer: () => Promise<void>): ContractServer {
  return {
    url,
    port: Number(new URL(url).port),
    publish: (topics, event) => broker.publish(topics, event),
    broadcast: (event) => broker.broadcast(event),
    send: (clientId, event) => broker.send(clientId, event),
    stats: async () => broker.stats(),
    log: async () => structuredClone(contractLog(broker)),
    async disconnectAll() {
      for (const connection of [...broker.connections()]) connection.close();
    },
    async shutdown() {
      await broker.close();
      await closeServer();
    },
    async shutdownAfterBroadcast(event) {
      await broadcastAndClose(broker, event);
      await closeServer();
    },
  };
}

/**
 * Serves the suite's control calls for an app in another process (Bun, Deno):
 * `POST /_control/<verb>` with a JSON body. Returns `undefined` for other paths.
 */
export async function handleControl(broker: Broker, path: string, body: unknown): Promise<unknown> {
  const args = (body ?? {}) as { topics?: string[]; event?: Record<string, unknown>; clientId?: string };
  switch (path) {
    case '/_control/publish':
      return { id: await broker.publish(args.topics ?? [], args.event ?? {}) };
    case '/_control/broadcast':
      return { id: await broker.broadcast(args.event ?? {}) };
    case '/_control/send':
      return { id: await broker.send(args.clientId ?? '', args.event ?? {}) };
    case '/_control/stats':
      return broker.stats();
    case '/_control/log':
      return contractLog(broker);
    case '/_control/disconnect-all':
      for (const connection of [...broker.connections()]) connection.close();
      return {};
    case '/_control/close-broker':
      await broker.close();
      return {};
    case '/_control/broadcast-and-close-broker':
      await broadcastAndClose(broker, args.event ?? {});
      return {};
    default:
      return undefined;
  }
}

/** A {@link ContractServer} that drives an app in another process through {@link handleControl}. */
export function remoteServer(url: string, stop: () => Promise<void>): ContractServer {
  const call = async <T>(verb: string, body: unknown = {}): Promise<T> => {
    const response = await fetch(`${url}/_control/${verb}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    if (!response.ok) throw new Error(`control ${verb} answered ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    url,
    port: Number(new URL(url).port),
    publish: async (topics, event) =>
      (await call<{ id: string }>('publish', { topics: typeof topics === 'string' ? [topics] : topics, event })).id,
    broadcast: async (event) => (await call<{ id: string }>('broadcast', { event })).id,
    send: async (clientId, event) => (await call<{ id: string }>('send', { clientId, event })).id,
    stats: () => call<BrokerStats>('stats'),
    log: () => call<ContractLog>('log'),
    disconnectAll: async () => {
      await call('disconnect-all');
    },
    async shutdown() {
      await call('close-broker');
      await stop();
    },
    async shutdownAfterBroadcast(event) {
      await call('broadcast-and-close-broker', { event });
      await stop();
    },
  };
}
