/** Lookups in the stream: one stored message, its tag, the stream's info. */
import type { JetStreamManager, StoredMsg, StreamInfo } from '@nats-io/jetstream';
import { tagOf } from './message.js';
import { isNotFound } from './stream-setup.js';

/** The message at a sequence or the latest on a subject; `null` when there is none (or no stream). */
export async function getMessage(
  jsm: JetStreamManager,
  stream: string,
  query: { seq: number } | { last_by_subj: string },
): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(stream, query);
  } catch (error) {
    if (error instanceof Error && /no message found|not found/i.test(error.message)) return null;
    throw error;
  }
}

/** The tag stored at `seq`, or `undefined` when no message is there. */
export async function tagAt(jsm: JetStreamManager, stream: string, seq: number): Promise<string | undefined> {
  const stored = await getMessage(jsm, stream, { seq });
  return stored ? tagOf(stored.header) : undefined;
}

/** The stream's info, or `undefined` when there is no such stream (nothing published, or lost). */
export async function streamInfo(jsm: JetStreamManager, stream: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(stream);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
