/**
 * The type a value has after `JSON.stringify` on the server and `JSON.parse` on the client: what
 * the wire carries. tRPC's inference and type-fest's `Jsonify` do the same; this one is small and
 * has no dependency.
 */

type NotJson = undefined | symbol | ((...args: never[]) => unknown);

/**
 * The JSON shape of `T`: `Date` (anything with `toJSON()`) becomes what `toJSON` returns (a
 * `string`), `undefined`, function and symbol properties disappear (optional properties stay
 * optional), the same in arrays become `null`, `Map` and `Set` become `{}`. `bigint` is `never`
 * (`JSON.stringify` throws on it). `unknown` and `any` stay as they are.
 *
 * @example
 * ```ts
 * type Wire = Jsonify<{ at: Date; note?: string; run(): void }>; // { at: string; note?: string }
 * ```
 */
export type Jsonify<T> = 0 extends 1 & T
  ? T
  : unknown extends T
    ? T
    : T extends { toJSON(...args: never[]): infer J }
      ? J extends { toJSON(...args: never[]): unknown }
        ? J
        : Jsonify<J>
      : T extends string | number | boolean | null
        ? T
        : T extends bigint | NotJson
          ? never
          : T extends ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>
            ? Record<string, never>
            : T extends readonly (infer U)[]
              ? JsonItem<U>[]
              : T extends object
                ? JsonifyObject<T>
                : never;

/** An array item: what JSON cannot carry becomes `null`. */
type JsonItem<V> = V extends NotJson ? null : Jsonify<V>;

type RequiredKeys<T> = {
  [K in keyof T]-?: K extends symbol ? never : undefined extends T[K] ? never : T[K] extends NotJson ? never : K;
}[keyof T];
type OptionalKeys<T> = {
  [K in keyof T]-?: K extends symbol ? never : undefined extends T[K] ? (Exclude<T[K], undefined> extends NotJson ? never : K) : never;
}[keyof T];

type JsonifyObject<T> = Flatten<{ [K in RequiredKeys<T>]: Jsonify<T[K]> } & { [K in OptionalKeys<T>]?: Jsonify<Exclude<T[K], undefined>> }>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/**
 * What listeners receive for each event of map `E` with the default JSON data: {@link Jsonify}
 * of each data type (an event without data arrives as `undefined`).
 */
export type WireEvents<E> = { [K in keyof E]: undefined extends E[K] ? Jsonify<Exclude<E[K], undefined>> | undefined : Jsonify<E[K]> };
