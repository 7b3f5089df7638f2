/**
 * Turns the text of an event's `data` into the value listeners receive.
 *
 * @param data - the event's data lines joined with `\n`.
 * @param event - the event name (`message` when the server sent none).
 */
export type DataParser = (data: string, event: string) => unknown;

/**
 * How the client reads an event whose format is `'json'` (the default): `JSON.parse`, except that
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
 * A {@link DataParser} that guesses: JSON when the data is JSON, otherwise the text as it is. Not
 * the default: a string that happens to be valid JSON (`42`, `true`, `null`, `{"a":1}`) comes out
 * parsed. Use it only for untyped streams that mix both (`parse: parseJsonOrText`); typed clients
 * list their text events in `formats` instead.
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
