/**
 * Whether the stream the read loop is about to read on from still holds what it read: the
 * judgement that turns "the server restarted without persistence", "the stream was deleted" or
 * "the server lost what it had not written" into a gap notice instead of a silent skip.
 */
import type { StreamInfo } from '@nats-io/jetstream';

/** Where the loop is: the last message read, and the stream and server it was checked against. */
export interface ReadState {
  /** Sequence of the last message read (or of the stream's end when the loop started). */
  readonly cursor: number;
  /** The tag of the message at `cursor`, when the loop read it (see event-id.ts). */
  readonly tag: string | undefined;
  /** The stream's creation time: another one is another stream. */
  readonly created: string;
  /** The server the stream was last checked on (its id changes when it restarts). */
  readonly serverId: string | undefined;
}

/**
 * What was lost, for logs, or `undefined` when the stream still holds everything up to the
 * cursor. `ownBefore` is the newest sequence this node's publishes got back before `info` was
 * asked for; `tagAt` reads the tag stored at a sequence.
 *
 * Messages after the cursor removed by the limits are not judged here: the consumer shows them as
 * a jump in sequence.
 */
export async function findLoss(
  state: ReadState,
  info: StreamInfo,
  serverId: string | undefined,
  ownBefore: number,
  tagAt: (seq: number) => Promise<string | undefined>,
): Promise<string | undefined> {
  const { first_seq: first, last_seq: last } = info.state;
  if (info.created !== state.created) return `the stream was created again (created ${state.created}, now ${info.created})`;
  if (last < state.cursor) return `its last sequence went back from ${state.cursor} to ${last}`;
  // Numbered from 1 again and grown past the cursor: the message there is a stranger.
  if (state.cursor > 0 && state.tag !== undefined && first <= state.cursor && (await tagAt(state.cursor)) !== state.tag) {
    return `the message at sequence ${state.cursor} is not the one this node read`;
  }
  // Acknowledged, then lost with a restart before this node read it.
  if (serverId !== state.serverId && ownBefore > last) {
    return `a message this node published (sequence ${ownBefore}) is not in it after the server restarted`;
  }
  return undefined;
}
