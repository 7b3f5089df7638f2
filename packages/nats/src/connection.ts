import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { SseTransportError } from '@ssekit/core';
import type { ResolvedOptions } from './options.js';

/**
 * The transport's view of its NATS connection: whether it is up right now, and a wait for it to
 * be. NATS buffers what is written while it reconnects and sends it later; `publish` checks
 * first so that an event refused during an outage is not stored behind the caller's back.
 */
export class Connection {
  private up: boolean;
  private readonly waiters = new Set<() => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly watching: Promise<void>;
  private readonly statuses: AsyncIterable<Status>;

  constructor(
    readonly nc: NatsConnection,
    /** True when the transport opened it (and closes it). */
    readonly owned: boolean,
  ) {
    this.up = !nc.isClosed();
    this.statuses = nc.status();
    this.watching = this.watch();
  }

  /** True while connected (not reconnecting, not closed). */
  get connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  /** The server this connection talks to now; it changes when the server restarts. */
  get serverId(): string | undefined {
    return this.nc.info?.server_id;
  }

  /** Resolves once connected, or rejects after `timeout` ms saying nothing was sent. */
  whenConnected(timeout: number, doing: string): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.nc.isClosed()) return Promise.reject(notConnected(doing, 'the NATS connection is closed'));
    return new Promise<void>((resolve, reject) => {
      const onUp = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(onUp);
        reject(notConnected(doing, `not connected after ${timeout} ms`));
      }, timeout);
      this.waiters.add(onUp);
    });
  }

  /** Calls `listener` after every reconnect (the server may have restarted). Returns an unsubscribe function. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Stops watching, and closes the connection if the transport opened it (yours stays open). */
  async close(): Promise<void> {
    this.reconnectListeners.clear();
    if (this.owned && !this.nc.isClosed()) await this.nc.close().catch(() => {});
    // Yours goes on: stop listening to its status rather than wait for an end that never comes.
    (this.statuses as { stop?: () => void }).stop?.();
    await this.watching;
  }

  private async watch(): Promise<void> {
    for await (const status of this.statuses) {
      if (status.type === 'disconnect' || status.type === 'reconnecting' || status.type === 'close') this.up = false;
      else if (status.type === 'reconnect') {
        this.up = true;
        for (const waiter of this.waiters) waiter();
        this.waiters.clear();
        for (const listener of this.reconnectListeners) listener();
      }
    }
    this.up = false;
  }
}

/** The error for work that was never sent to NATS. */
export function notConnected(doing: string, detail: string): SseTransportError {
  return new SseTransportError(`Cannot ${doing}: NATS is unreachable (${detail}). Nothing was sent to NATS.`);
}

/**
 * Opens the transport's own connection from a URL, trying again every 250 ms until it is up or
 * `abandoned()` says the transport was closed meanwhile (then it resolves to `undefined`). Once up
 * it reconnects forever, quickly.
 */
export async function openConnection(url: string, options: ResolvedOptions, abandoned: () => boolean): Promise<Connection | undefined> {
  for (;;) {
    try {
      const nc = await connect({
        servers: url,
        name: 'ssekit-transport',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: options.timeout,
      });
      if (!abandoned()) return new Connection(nc, true);
      await nc.close().catch(() => {});
      return undefined;
    } catch (error) {
      options.onError(error);
      if (abandoned()) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (abandoned()) return undefined;
    }
  }
}
