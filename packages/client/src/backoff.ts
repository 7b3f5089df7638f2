/**
 * The delay before reconnect attempt `attempt` (1 for the first retry after a failure):
 * `base * 2^(attempt - 1)`, capped at `max` (but never below `base`, so a server's `retry:` hint
 * longer than the cap is still honoured), then shortened by up to `jitter` of itself at random so
 * that clients dropped together do not come back together.
 *
 * @example
 * ```ts
 * backoffDelay(3, 1000, 30_000, 0) // 4000
 * ```
 */
export function backoffDelay(attempt: number, base: number, max: number, jitter: number, random: () => number = Math.random): number {
  const delay = Math.min(Math.max(max, base), base * 2 ** (attempt - 1));
  return Math.round(delay * (1 - jitter * random()));
}

/**
 * Reads a `Retry-After` header (delay seconds or an HTTP date) as milliseconds from now.
 *
 * @returns `undefined` when the header is missing or unreadable.
 * @example
 * ```ts
 * parseRetryAfter('5') // 5000
 * ```
 * @see https://httpwg.org/specs/rfc9110.html#field.retry-after
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
