/** What the page knows about the `tick` sequence: the last number and anything that went missing. */
export interface SeqState {
  /** The last `seq` seen, `undefined` before the first tick or after a reset. */
  last: number | undefined;
  /** Ticks received. */
  received: number;
  /** Numbers that never arrived (a gap between two received ticks). */
  missing: number[];
  /** Ticks that arrived twice or out of order. */
  duplicates: number;
}

export const createSeqState = (): SeqState => ({ last: undefined, received: 0, missing: [], duplicates: 0 });

/** Records one tick. A missing number is remembered, so a replay that comes too late still shows. */
export function trackSeq(state: SeqState, seq: number): void {
  state.received++;
  if (state.last === undefined || seq === state.last + 1) {
    state.last = seq;
    return;
  }
  if (seq <= state.last) {
    state.duplicates++;
    return;
  }
  for (let n = state.last + 1; n < seq; n++) state.missing.push(n);
  state.last = seq;
}

/**
 * Forgets the last number: after an `ssekit:gap` the server said it could not replay, so the next
 * tick starts a new run instead of counting as missing.
 */
export function resetSeq(state: SeqState): void {
  state.last = undefined;
}
