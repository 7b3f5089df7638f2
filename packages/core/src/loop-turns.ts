/**
 * Counts turns of the event loop, for the web sink's byte cap: a Fetch runtime takes a response's
 * chunks from its `ReadableStream` only between turns, so bytes written during this turn (or the
 * one before, which the runtime may not have had its I/O phase after yet) say nothing about the
 * client. One shared timer, armed only while some sink asks, marks each turn's end.
 */

let turn = 0;
let armed = false;
/** Someone asked since the timer was armed: keep counting one more turn. */
let asked = false;

// The timer runs once more after the last turn anyone asked in, so that a sink asking again after
// a quiet spell sees the count two or more turns on, never as if one turn had passed.
const advance = () => {
  turn++;
  if (asked) {
    asked = false;
    arm();
  } else {
    armed = false;
  }
};

// A zero-delay timer, not `setImmediate`: Deno runs an unref'd immediate late (or not at all)
// while only its HTTP server is busy, and Workers have none. Timers fire at most every millisecond,
// so a "turn" here is a turn of the loop or a millisecond, whichever is longer.
function arm(): void {
  armed = true;
  const timer: unknown = setTimeout(advance, 0);
  // Bun and Node return an object with `unref`; Deno a number (its zero-delay timer ends at once).
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/** The current turn's number; the count moves on once the event loop has come round again. */
export function currentTurn(): number {
  if (armed) asked = true;
  else arm();
  return turn;
}
