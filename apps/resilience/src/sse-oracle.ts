/**
 * A second, deliberately plain reading of an event stream, written from the WHATWG steps, so the
 * fuzzer never trusts one parser alone. It reads a whole decoded text at once.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** One dispatched event, with the `id` field its own block carried (if any). */
export interface OracleEvent {
  type: string;
  data: string;
  /** The `id` field of this block (`undefined` when it had none or it held a NUL). */
  id: string | undefined;
  /** The last event ID buffer after this block, as a browser would keep it. */
  lastEventId: string;
}

export interface OracleResult {
  events: OracleEvent[];
  comments: string[];
  retries: number[];
  /** Lines with a field name other than event, data, id, retry (a conforming stream has none). */
  unknownFields: string[];
}

/** Parses `text` (already decoded from UTF-8) as the spec does. */
export function parseEventStream(text: string): OracleResult {
  const result: OracleResult = { events: [], comments: [], retries: [], unknownFields: [] };
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  // The last piece has no line ending yet: it is not a line.
  lines.pop();
  let data = '';
  let type = '';
  let blockId: string | undefined;
  let lastEventId = '';
  for (const line of lines) {
    if (line === '') {
      if (data === '') {
        type = '';
        blockId = undefined;
        continue;
      }
      result.events.push({ type: type || 'message', data: data.endsWith('\n') ? data.slice(0, -1) : data, id: blockId, lastEventId });
      data = '';
      type = '';
      blockId = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      result.comments.push(line.slice(line.startsWith(': ') ? 2 : 1));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data += `${value}\n`;
    else if (field === 'id') {
      if (!value.includes('\0')) {
        lastEventId = value;
        blockId = value;
      }
    } else if (field === 'retry') {
      if (/^[0-9]+$/.test(value)) result.retries.push(Number.parseInt(value, 10));
    } else result.unknownFields.push(line);
  }
  return result;
}

/** Lone surrogates replaced by U+FFFD, as a UTF-8 encode and decode leaves them. */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** CRLF, CR and LF all read as LF, as the parser's line splitting leaves them. */
export function normalizeLineEnds(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\n');
}
