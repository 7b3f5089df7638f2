import type { SseEvent } from './encode.js';

/** Maps event names to the type of their `data`, e.g. `{ tick: { n: number } }`. */
export type EventMap = Record<string, unknown>;

/**
 * Maps topic names to the names of the events published on them, e.g.
 * `{ prices: 'price' | 'halt'; [room: `room:${string}`]: 'chat' }`. The untyped `TopicMap`
 * (`Record<string, string>`) allows any topic and any event.
 */
export type TopicMap = Record<string, string>;

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

/** The topic names of map `T`: its keys, or any string when `T` is the untyped {@link TopicMap}. */
export type TopicName<T extends TopicMap> = keyof T & string;

/**
 * The part of event map `E` that may be published on every one of topics `K` of map `T` (all of
 * `E` when topics are untyped).
 *
 * @example
 * ```ts
 * type Events = { price: number; notice: string };
 * type OnPrices = TopicEvents<Events, { prices: 'price' }, 'prices'>; // { price: number }
 * ```
 */
export type TopicEvents<E extends EventMap, T extends TopicMap, K extends string> =
  CarriedByAll<T, K> extends infer N ? (string extends N ? E : Pick<E, Extract<N, keyof E>>) : never;

/** Event names carried by every topic of the union `K` (their intersection). */
type CarriedByAll<T extends TopicMap, K extends string> = (K extends unknown ? (names: T[K]) => void : never) extends (
  names: infer N,
) => void
  ? N
  : never;
