/**
 * A lean event-stream client for thousands of concurrent streams: node:http plus
 * eventsource-parser, keeping only counters. Events carry a sequence number as data (`<seq>` or
 * `<seq> <padding>`); the client checks that each is the one after the last, across reconnects
 * with `Last-Event-ID`, and counts what is missing or repeated.
 */
import http from 'node:http';
import { createParser } from 'eventsource-parser';

export interface SeqClientOptions {
  /** Stream URL. */
  url: string;
  /** Reconnect when the server ends the stream or the connection fails (default true). */
  reconnect?: boolean;
  /** ms before reconnecting after a failed attempt (a refused or reset connection); default 50. */
  retryDelay?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** One client's view of the sequence. */
export class SeqClient {
  /** Last `id:` seen (sent as `Last-Event-ID` on reconnect). */
  lastEventId = '';
  /** First and last sequence numbers received; 0 before any. */
  firstSeq = 0;
  lastSeq = 0;
  received = 0;
  /** Events whose seq was not above the last one. */
  duplicates = 0;
  /** Sequence numbers skipped (sum of holes). */
  missing = 0;
  /** Streams opened (first connection included). */
  opens = 0;
  /** Failed attempts (refused, reset, non-200). */
  failures = 0;
  gaps = 0;
  /** `performance.now()` of the last open. */
  openedAt = 0;
  private request: http.ClientRequest | undefined;
  private streamOpen = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: SeqClientOptions) {}

  /** Connects (again). */
  connect(): void {
    if (this.closed) return;
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.options.headers };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    const request = http.request(this.options.url, { agent: false, headers });
    this.request = request;
    let opened = false;
    const retry = () => {
      if (this.closed || this.request !== request) return;
      this.request = undefined;
      this.streamOpen = false;
      if (this.options.reconnect === false) return;
      if (!opened) this.failures++;
      // A stream the server ended comes back at once; a failed attempt waits a little.
      const delay = opened ? 0 : (this.options.retryDelay ?? 50);
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
    request.on('error', retry);
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        response.on('end', retry);
        return;
      }
      opened = true;
      this.streamOpen = true;
      this.opens++;
      this.openedAt = performance.now();
      this.wake();
      const parser = createParser({
        onEvent: (message) => {
          if (message.id !== undefined) this.lastEventId = message.id;
          if (message.event === 'ssekit:gap') {
            this.gaps++;
            return;
          }
          const seq = Number.parseInt(message.data, 10);
          this.received++;
          if (this.lastSeq === 0) this.firstSeq = seq;
          else if (seq <= this.lastSeq) {
            this.duplicates++;
            return;
          } else if (seq > this.lastSeq + 1) this.missing += seq - this.lastSeq - 1;
          this.lastSeq = seq;
          this.wake();
        },
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser.feed(chunk));
      response.on('end', retry);
      response.on('close', retry);
      response.on('error', retry);
    });
    request.end();
  }

  /** True while a stream is open. */
  get isOpen(): boolean {
    return this.streamOpen;
  }

  /** Resolves once `predicate` holds (checked on every event and open), or rejects after `timeout` ms. */
  until(predicate: (client: SeqClient) => boolean, timeout: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this)) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`client stuck at seq ${this.lastSeq} (opens ${this.opens}, failures ${this.failures})`));
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }

  /** Drops the connection abruptly; the client reconnects with `Last-Event-ID` as after any drop. */
  drop(): void {
    this.request?.destroy();
  }

  /** Closes for good (destroys the socket). */
  close(): void {
    this.closed = true;
    this.streamOpen = false;
    clearTimeout(this.retryTimer);
    this.request?.destroy();
    this.request = undefined;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }
}
