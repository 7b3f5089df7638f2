import type { EventMap } from '@ssekit/core';
import { afterEach } from 'vitest';
import { type Client, type ClientOptions, createClient, type LifecycleEvents } from '../../src/index.js';
import { stopServers } from './server.js';

const clients = new Set<{ close(): void }>();

/**
 * {@link createClient}, closed after the test. Fast backoff unless the test says otherwise. Typed
 * by `E` as given (the wire-shape and `formats` checks are `createClient`'s own type tests).
 */
export function track<E extends EventMap = EventMap>(url: string, options: ClientOptions = {}): Client<E> {
  const client = createClient(url, { retryDelay: 20, maxRetryDelay: 100, ...options } as ClientOptions) as unknown as Client<E>;
  clients.add(client);
  return client;
}

/** Resolves with the next lifecycle event of `type`, or rejects after `timeout` ms. */
export function next<E extends EventMap, K extends keyof LifecycleEvents>(
  client: Client<E>,
  type: K,
  timeout = 5_000,
): Promise<LifecycleEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`Timed out waiting for "${type}" (state ${client.state})`));
    }, timeout);
    const off = client.onLifecycle(type, (info) => {
      clearTimeout(timer);
      off();
      resolve(info);
    });
  });
}

/** One recorded lifecycle event. */
export type LifecycleEntry = { [K in keyof LifecycleEvents]: [K, LifecycleEvents[K]] }[keyof LifecycleEvents];

/** Records every lifecycle event of a client, in order. */
export function recordLifecycle<E extends EventMap>(client: Client<E>): LifecycleEntry[] {
  const log: LifecycleEntry[] = [];
  for (const type of ['open', 'error', 'reconnecting', 'gap', 'finish', 'close'] as const) {
    client.onLifecycle(type, (info) => log.push([type, info] as LifecycleEntry));
  }
  return log;
}

/** Collects the parsed data of every event named `name`. */
export function collect<E extends EventMap, K extends keyof E & string>(client: Client<E>, name: K): Array<E[K]> {
  const received: Array<E[K]> = [];
  client.on(name as never, ((data: E[K]) => received.push(data)) as never);
  return received;
}

afterEach(async () => {
  for (const client of clients) client.close();
  clients.clear();
  await stopServers();
});
