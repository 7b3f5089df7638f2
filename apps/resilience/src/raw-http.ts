/**
 * HTTP/1.1 over a raw socket: requests written byte for byte (hostile ones included) and answers
 * read as they arrive, so a test sees exactly what the server did, including nothing at all.
 */
import net from 'node:net';
import { dechunk } from '@ssekit/test-utils';
import { type OracleResult, parseEventStream } from './sse-oracle.js';

/** An answer as far as it arrived. */
export interface RawAnswer {
  /** Status code, 0 when no head arrived. */
  status: number;
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body bytes as Latin-1 (chunked bodies de-chunked), as far as they arrived. */
  body: string;
  /** The body decoded as UTF-8. */
  text: string;
  /** The body read as an event stream. */
  stream: OracleResult;
  /**
   * The response arrived whole: a chunked body up to its last chunk, a `Content-Length` body in
   * full, or, without either, a head answering HEAD or a close-delimited body the server closed.
   * A stream cut off by a reset is not complete.
   */
  complete: boolean;
  /** The server closed the connection. */
  closed: boolean;
  /** Milliseconds from the first byte written until the answer was taken. */
  ms: number;
}

function parse(raw: string, closed: boolean, started: number): RawAnswer {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? '' : raw.slice(0, headEnd);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rawBody = headEnd === -1 ? '' : raw.slice(headEnd + 4);
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rawBody) : rawBody;
  const text = Buffer.from(body, 'latin1').toString('utf8');
  const length = headers['content-length'];
  const complete =
    headEnd === -1
      ? false
      : headers['transfer-encoding'] === 'chunked'
        ? chunkedComplete(rawBody)
        : length !== undefined
          ? rawBody.length >= Number(length)
          : closed;
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
    headers,
    body,
    text,
    stream: parseEventStream(text),
    complete,
    closed,
    ms: performance.now() - started,
  };
}

/** The body of a whole chunked response as Latin-1 text (head included), decoded as UTF-8. */
export function dechunkedBody(response: string): string {
  const headEnd = response.indexOf('\r\n\r\n');
  return headEnd === -1 ? '' : Buffer.from(dechunk(response.slice(headEnd + 4)), 'latin1').toString('utf8');
}

/** True once a chunked body (as Latin-1) holds its last, zero-size chunk. */
export function chunkedComplete(rawBody: string): boolean {
  let at = 0;
  for (;;) {
    const lineEnd = rawBody.indexOf('\r\n', at);
    if (lineEnd === -1) return false;
    const size = Number.parseInt(rawBody.slice(at, lineEnd), 16);
    if (!Number.isFinite(size)) return false;
    if (size === 0) return rawBody.includes('\r\n', lineEnd + 2);
    at = lineEnd + 2 + size + 2;
  }
}

export interface ExchangeOptions {
  /** Resolve as soon as this holds (default: when the server closes the connection). */
  until?: (answer: RawAnswer) => boolean;
  /** Give up after this many ms and resolve with what arrived (default 5,000). */
  timeout?: number;
  /** Keep the socket open after resolving (the caller destroys it). */
  keepOpen?: boolean;
}

/** Writes `request` to 127.0.0.1:`port` and reads the answer. */
export function exchange(
  port: number,
  request: string | Uint8Array,
  options: ExchangeOptions = {},
): Promise<RawAnswer & { socket: net.Socket; timedOut: boolean }> {
  const { until, timeout = 5_000, keepOpen = false } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    // Without it, Nagle plus delayed ACKs add 40 ms to every large request.
    socket.setNoDelay(true);
    const chunks: Buffer[] = [];
    let started = 0;
    let done = false;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const answer = parse(Buffer.concat(chunks).toString('latin1'), closed, started);
      if (!keepOpen) socket.destroy();
      resolve({ ...answer, socket, timedOut });
    };
    const timer = setTimeout(() => finish(false, true), timeout);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (until?.(parse(Buffer.concat(chunks).toString('latin1'), false, started))) finish(false, false);
    });
    socket.on('close', () => finish(true, false));
    socket.on('error', (error) => {
      // A reset after the answer arrived still counts as an answer.
      if (chunks.length > 0) finish(true, false);
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('connect', () => {
      started = performance.now();
      socket.write(request);
    });
  });
}

/** A GET request head for `path` with extra header lines (each without its CRLF). */
export function getRequest(path: string, headerLines: string[] = []): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${headerLines.map((l) => `${l}\r\n`).join('')}\r\n`;
}

/** The same, as bytes, with raw bytes allowed in header values. */
export function getRequestBytes(path: string, headers: Array<[string, Uint8Array | string]>): Buffer {
  const parts: Buffer[] = [Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n`, 'latin1')];
  for (const [name, value] of headers) {
    parts.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value));
    parts.push(Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** True once the answer is an error (any non-200) or carries `events` events. */
export function answered(events = 1): (answer: RawAnswer) => boolean {
  return (answer) => (answer.status !== 0 && answer.status !== 200 && answer.body.length > 0) || answer.stream.events.length >= events;
}
