/**
 * The wire format: one event in, one contiguous UTF-8 chunk out, exactly as the WHATWG
 * "Server-sent events" parser will read it back.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import { SseEncodeError } from './errors.js';

/**
 * One Server-Sent Event.
 *
 * @typeParam TData - the type of `data` before serialization.
 * @typeParam TName - the allowed event names.
 */
export interface SseEvent<TData = unknown, TName extends string = string> {
  /** Event type; the client dispatches it under this name (`message` when omitted). No CR or LF. */
  event?: TName;
  /**
   * Payload. Strings are sent as they are (split into `data:` lines on CR, LF and CRLF); any other
   * value goes through the serializer (JSON by default). Omitted: one empty `data:` line is sent
   * so the event is still dispatched.
   */
  data?: TData;
  /** Event id; becomes the client's `Last-Event-ID`. `""` resets it, `0` is sent. No CR, LF or NUL. */
  id?: string | number;
  /** Reconnection delay hint in milliseconds: a non-negative safe integer. */
  retry?: number;
  /** Comment written before the fields; ignored by clients, each line prefixed with `:`. */
  comment?: string;
}

/** Turns non-string `data` into text. Must return a string. */
export type Serializer = (data: unknown) => string;

/** Options of {@link encodeEvent} and {@link formatEvent}. */
export interface EncodeOptions {
  /**
   * Serializer for non-string `data`.
   * @default JSON.stringify
   */
  serialize?: Serializer;
}

const LINE_BREAK = /\r\n|\r|\n/;
const textEncoder = new TextEncoder();

/**
 * Formats an event as the text of one complete event block (ending with a blank line).
 *
 * A frame with only `retry` and/or `comment` is a control frame and carries no `data` line; every
 * other event carries at least one `data:` line, so an event without data is still dispatched
 * (with `data === ""`) rather than silently dropped by the client.
 *
 * @throws {@link SseEncodeError} when a field would corrupt the stream; nothing is produced then.
 * @example
 * ```ts
 * formatEvent({ event: 'tick', id: 0, data: { n: 1 } })
 * // 'event: tick\nid: 0\ndata: {"n":1}\n\n'
 * ```
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 */
export function formatEvent(event: SseEvent, options?: EncodeOptions): string {
  let out = event.comment === undefined ? '' : formatComment(event.comment);
  if (event.event !== undefined) out += `event: ${checkEventName(event.event)}\n`;
  if (event.id !== undefined) out += `id: ${checkId(event.id)}\n`;
  if (event.retry !== undefined) out += `retry: ${checkRetry(event.retry)}\n`;
  const isControlFrame = event.data === undefined && event.event === undefined && event.id === undefined;
  if (!isControlFrame) out += dataLines(serializeData(event.data, options?.serialize));
  return `${out}\n`;
}

/**
 * Encodes an event into the bytes to write: one contiguous chunk, never a BOM.
 * Encode once and write the same bytes to every subscriber.
 *
 * @throws {@link SseEncodeError} when a field would corrupt the stream.
 * @example
 * ```ts
 * res.write(encodeEvent({ event: 'tick', data: { n: 1 } }))
 * ```
 */
export function encodeEvent(event: SseEvent, options?: EncodeOptions): Uint8Array {
  return textEncoder.encode(formatEvent(event, options));
}

/**
 * Formats a comment: every line (split on CR, LF and CRLF) prefixed with `: `.
 * Clients ignore comments; they keep proxies and idle timers from closing the stream.
 *
 * @example
 * ```ts
 * formatComment('two\nlines') // ': two\n: lines\n'
 * ```
 */
export function formatComment(text: string): string {
  if (text === '') return ':\n';
  let out = '';
  for (const line of splitLines(text)) out += line === '' ? ':\n' : `: ${line}\n`;
  return out;
}

/** Encodes a comment (see {@link formatComment}) into bytes. */
export function encodeComment(text: string): Uint8Array {
  return textEncoder.encode(formatComment(text));
}

function splitLines(text: string): string[] {
  return text.indexOf('\n') === -1 && text.indexOf('\r') === -1 ? [text] : text.split(LINE_BREAK);
}

function dataLines(text: string): string {
  let out = '';
  // One space after the colon always: the parser strips exactly one, so leading spaces survive.
  for (const line of splitLines(text)) out += `data: ${line}\n`;
  return out;
}

function serializeData(data: unknown, serialize: Serializer = JSON.stringify): string {
  if (data === undefined) return '';
  if (typeof data === 'string') return data;
  let text: unknown;
  try {
    text = serialize(data);
  } catch (cause) {
    throw new SseEncodeError(
      'SERIALIZE_FAILED',
      'data',
      'Event data could not be serialized; pass a string or a JSON-serializable value, or set a `serialize` option.',
      { cause },
    );
  }
  if (typeof text !== 'string') {
    throw new SseEncodeError(
      'SERIALIZE_FAILED',
      'data',
      `The serializer returned ${typeof text}, not a string; pass serializable data or fix the \`serialize\` option.`,
    );
  }
  return text;
}

function checkEventName(name: string): string {
  if (typeof name !== 'string' || /[\r\n]/.test(name)) {
    throw new SseEncodeError(
      'INVALID_EVENT_NAME',
      'event',
      'Event names must be strings without CR or LF (they would inject fields); remove the line break.',
    );
  }
  return name;
}

function checkId(id: string | number): string {
  if (typeof id === 'number') {
    if (!Number.isFinite(id)) {
      throw new SseEncodeError('INVALID_ID', 'id', `Event id ${id} is not a finite number; use a string or a finite number.`);
    }
    return String(id);
  }
  if (typeof id !== 'string' || /[\r\n\0]/.test(id)) {
    throw new SseEncodeError(
      'INVALID_ID',
      'id',
      'Event ids must be strings without CR, LF or NUL (clients would ignore or split them); remove those characters.',
    );
  }
  return id;
}

function checkRetry(retry: number): number {
  if (!Number.isSafeInteger(retry) || retry < 0) {
    throw new SseEncodeError('INVALID_RETRY', 'retry', `retry must be a non-negative safe integer of milliseconds, got ${String(retry)}.`);
  }
  return retry;
}
