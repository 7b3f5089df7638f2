/**
 * `connection.pipe()`: an async iterable into a stream, paced by the socket, ended cleanly on
 * either side's failure.
 */
import { type Connection, type PipeOptions, SOURCE_ERROR_EVENT } from './connection.js';
import { iteratorOf, type StreamSource } from './source.js';
import type { EventMap, EventOf } from './types.js';

const textDecoder = new TextDecoder();
const SOURCE_FAILED = { event: SOURCE_ERROR_EVENT, data: { reason: 'source-failed' } };

/**
 * See {@link Connection.pipe}. A source that throws is reported through `report` (the broker's
 * `onError`) and the returned promise resolves: the failure is reported once, by the broker, and
 * not a second time by the framework that would log a rejected route (or, on Express, destroy the
 * socket before the error event and the end of the stream reach the client).
 */
export async function pipe<T, E extends EventMap>(
  connection: Connection<E, unknown>,
  source: StreamSource<T>,
  options: PipeOptions<T, E>,
  report: (error: unknown) => void,
): Promise<void> {
  const map = options.map ?? (defaultMap as (item: T) => EventOf<E>);
  const iterator = iteratorOf(source);
  let done = false;
  const stop = () => {
    if (!done) void Promise.resolve(iterator.return?.()).catch(() => {});
  };
  const signal = connection.signal;
  signal.addEventListener('abort', stop, { once: true });
  try {
    while (!connection.closed) {
      const step = await iterator.next();
      if (step.done) {
        done = true;
        return;
      }
      if (connection.closed) return;
      if (!connection.send(map(step.value))) await connection.drained();
    }
  } catch (error) {
    done = true; // a throwing iterator is finished; return() must not be called on it
    if (connection.closed) return;
    tellClient(connection, error, options);
    connection.close();
    report(error);
  } finally {
    signal.removeEventListener('abort', stop);
    if (!done) stop();
  }
}

/** Sends the source-failure event; a failing `onError` or an invalid event falls back to the default. */
function tellClient<T, E extends EventMap>(connection: Connection<E, unknown>, error: unknown, options: PipeOptions<T, E>): void {
  try {
    const event = options.onError ? options.onError(error) : (SOURCE_FAILED as EventOf<E>);
    if (event !== null) connection.send(event);
  } catch {
    connection.send(SOURCE_FAILED as EventOf<E>);
  }
}

function defaultMap(item: unknown): EventOf<EventMap> {
  if (typeof item === 'string') return { data: item };
  if (item instanceof Uint8Array) return { data: textDecoder.decode(item) };
  return item as EventOf<EventMap>;
}
