/**
 * Turns the text of an event's `data` into the value listeners receive.
 *
 * @param data - the event's data lines joined with `\n`.
 * @param event - the event name (`message` when the server sent none).
 */
export type DataParser = (data: string, event: string) => unknown;

/**
 * How the client reads an event whose format is declared `'json'`: `JSON.parse`, except that
 * an event without data (an empty `data:` line, which is what ssekit servers send for
 * `data: undefined`) gives `undefined`. Throws on anything else that is not JSON.
 *
 * @example
 * ```ts
 * parseJson('{"n":1}') // { n: 1 }
 * parseJson('')        // undefined
 * ```
 */
export function parseJson(data: string): unknown {
  return data === '' ? undefined : JSON.parse(data);
}

/**
 * JSON when the data is JSON, otherwise the text as it is: how the client reads an event that
 * `formats` does not mention (so no event is dropped for a format nobody declared). A string that
 * happens to be valid JSON (`42`, `true`, `null`, `{"a":1}`) comes out parsed: typed clients list
 * their text events in `formats` (the types require it), untyped ones can do the same.
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
