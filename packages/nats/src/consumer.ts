import { AckPolicy, type Consumer, DeliverPolicy, type JetStreamClient, type JetStreamManager, ReplayPolicy } from '@nats-io/jetstream';
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
