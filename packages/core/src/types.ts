import type { SseEvent } from './encode.js';

/** Maps event names to the type of their `data`, e.g. `{ tick: { n: number } }`. */
export type EventMap = Record<string, unknown>;

/**
 * The events a broker or connection typed by `E` accepts: `event` names one key of `E` and `data`
 * has that key's type. A `message` key may omit `event`. An untyped map accepts any event.
 *
 * @example
 * ```ts
 * type Events = { tick: { n: number } };
 * const ok: EventOf<Events> = { event: 'tick', data: { n: 1 } };
 * ```
 */
export type EventOf<E extends EventMap> = string extends keyof E
  ? SseEvent
  : {
      [K in keyof E & string]: Omit<SseEvent<E[K], K>, 'event' | 'data'> &
        (K extends 'message' ? { event?: K } : { event: K }) &
        (undefined extends E[K] ? { data?: E[K] } : { data: E[K] });
    }[keyof E & string];
