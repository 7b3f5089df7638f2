/**
 * Turns the text of an event's `data` into the value listeners receive.
 *
 * @param data - the event's data lines joined with `\n`.
 * @param event - the event name (`message` when the server sent none).
 */
export type DataParser = (data: string, event: string) => unknown;

/**
 * The default {@link DataParser}: JSON when the data is JSON, otherwise the text as it is.
 *
 * The fallback matches what ssekit servers send: non-string data is serialized to JSON, but a
 * string is written as it is, so `"hello"` arrives as `hello`, which is not JSON. The catch: a
 * string that happens to be valid JSON (`42`, `true`, `null`, `{"a":1}`) comes out parsed. Send
 * such strings JSON-encoded, or set `parse: false`.
 *
 * @example
 * ```ts
 * parseJsonOrText('{"n":1}') // { n: 1 }
 * parseJsonOrText('hello')   // 'hello'
 * ```
 */
export function parseJsonOrText(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
