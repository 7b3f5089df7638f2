/**
 * The two sizes of the suite. `pnpm test` runs the CI size (the whole suite in about two minutes on
 * two cores); `pnpm resilience` sets `SIZE=full` and runs the figures published in
 * docs/reliability.md.
 */
export type Size = 'ci' | 'full';

/** The size this run was started with (`SIZE=full`, else CI). */
export const SIZE: Size = process.env.SIZE === 'full' ? 'full' : 'ci';

/** Picks the CI or the full value. */
export function sized<T>(ci: T, full: T): T {
  return SIZE === 'full' ? full : ci;
}
