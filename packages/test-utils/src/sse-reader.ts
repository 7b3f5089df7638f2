import http from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One event as a spec-following parser read it. */
export interface ReceivedEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export interface SseReaderOptions {
  headers?: Record<string, string>;
  method?: string;
  /** A request body (a `POST` that starts a stream). */
  body?: string;
}

/** An open event stream read through node:http and eventsource-parser. */
export interface SseReader {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Every event received so far. */
  readonly events: ReceivedEvent[];
  readonly comments: string[];
  readonly retries: number[];
  /** The body as text, as far as it arrived. */
  readonly text: () => string;
  /** True once the server ended the stream or the socket closed. */
  readonly ended: () => boolean;
  /** Resolves when the stream ends. */
  readonly done: Promise<void>;
  /** Resolves once `count` events in total have arrived. */
  waitForEvents(count: number, timeout?: number): Promise<ReceivedEvent[]>;
  /** Destroys the socket (a client going away). */
  close(): void;
  /** The underlying socket, to pause reading. */
  readonly response: http.IncomingMessage;
}

/**
 * Opens `url` and resolves once the response head arrives (before any event), so tests can check
 * that headers are flushed at once. The body is parsed as it streams.
 */
export function openSse(url: string, options: SseReaderOptions = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers: { accept: 'text/event-stream', ...options.headers },
      agent: false,
    });
    req.on('error', reject);

    req.on('response', (res) => {
      const events: ReceivedEvent[] = [];
      const comments: string[] = [];
      const retries: number[] = [];
      const waiters = new Set<() => void>();
      let body = '';
      let ended = false;
      const parser = createParser({
        onEvent: (message: EventSourceMessage) => {
          events.push({ event: message.event ?? 'message', data: message.data, id: message.id });
          for (const wake of waiters) wake();
        },
        onComment: (comment) => comments.push(comment),
        onRetry: (retry) => retries.push(retry),
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        parser.feed(chunk);
      });
      const done = new Promise<void>((resolveDone) => {
        const finish = () => {
          ended = true;
          for (const wake of waiters) wake();
          resolveDone();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        retries,
        text: () => body,
        ended: () => ended,
        done,
        response: res,
        waitForEvents(count, timeout = 5_000) {
          return new Promise((resolveEvents, rejectEvents) => {
            const check = () => {
              if (events.length >= count) {
                cleanup();
                resolveEvents(events.slice(0, count));
              } else if (ended) {
                cleanup();
                rejectEvents(new Error(`Stream ended after ${events.length} of ${count} events`));
              }
            };
            const timer = setTimeout(() => {
              cleanup();
              rejectEvents(new Error(`Timed out with ${events.length} of ${count} events`));
            }, timeout);
            const cleanup = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
        close() {
          req.destroy();
          res.destroy();
        },
      });
    });
    req.end(options.body);
  });
}
