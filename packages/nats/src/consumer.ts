import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  ReplayPolicy,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ResolvedOptions } from './options.js';

/**
 * An ephemeral pull consumer over the whole stream from `fromSeq` on, without acks: the read
 * loop's and each replay's. The server removes it after a minute without pulls, should `close`
 * never run (the process died); `close` removes it at once.
 */
export interface Reader {
  readonly consumer: Consumer;
  close(): Promise<void>;
}

export async function openReader(jsm: JetStreamManager, js: JetStreamClient, options: ResolvedOptions, fromSeq: number): Promise<Reader> {
  const info = await jsm.consumers.add(options.stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, fromSeq),
    replay_policy: ReplayPolicy.Instant,
    inactive_threshold: nanos(60_000),
    mem_storage: true,
    num_replicas: 1,
  });
  const consumer = await js.consumers.get(options.stream, info.name);
  return {
    consumer,
    close: () =>
      jsm.consumers.delete(options.stream, info.name).then(
        () => {},
        () => {}, // gone already, or NATS is down: the inactivity threshold removes it
      ),
  };
}

/** Consumer notices after which the read loop checks the stream again before reading on. */
const TROUBLE = new Set(['heartbeats_missed', 'consumer_not_found', 'stream_not_found', 'consumer_deleted', 'no_responders']);

/**
 * Hands the reader's messages to `take` until a consumer notice says something is wrong, or
 * `stop()` says so before a message; then removes the consumer. `reading` is told the message
 * handle while it runs (`undefined` after), so the owner can stop it from outside.
 *
 * Messages come through a callback, synchronously as the client parses them: all those of one
 * socket read are handed on in one tick, so the broker writes them to each socket at once.
 */
export async function readUntilTrouble(
  reader: Reader,
  readCount: number,
  hooks: {
    stop(): boolean;
    take(message: JsMsg): void;
    reading(messages: ConsumerMessages | undefined): void;
  },
): Promise<void> {
  let halted = false;
  let handle: ConsumerMessages | undefined;
  const halt = () => {
    halted = true;
    handle?.stop();
  };
  const messages = await reader.consumer.consume({
    max_messages: readCount,
    expires: 5_000,
    callback: (message) => {
      if (halted) return;
      if (hooks.stop()) halt();
      else hooks.take(message);
    },
  });
  handle = messages;
  hooks.reading(messages);
  if (halted || hooks.stop()) halt();
  const watching = (async () => {
    for await (const notice of messages.status()) if (TROUBLE.has(notice.type)) halt();
  })().catch(() => {});
  try {
    await messages.closed();
  } finally {
    hooks.reading(undefined);
    halt();
    await watching;
    await reader.close();
  }
}
