import { DiscardPolicy, type JetStreamManager, RetentionPolicy, StorageType, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ResolvedOptions } from './options.js';

/** The stream's limits as the options give them (`-1`: no limit, as JetStream spells it). */
function limits(options: ResolvedOptions): Pick<StreamConfig, 'max_msgs' | 'max_age' | 'max_bytes'> {
  return {
    max_msgs: options.maxLength > 0 ? options.maxLength : -1,
    max_age: options.maxAge > 0 ? nanos(options.maxAge) : 0,
    max_bytes: options.maxBytes > 0 ? options.maxBytes : -1,
  };
}

/**
 * The stream's info, creating the stream first when it does not exist (the first node to start,
 * or a server restarted without persistence). An existing stream whose limits differ from the
 * options is updated to them: the last node deployed sets the retention.
 */
export async function ensureStream(jsm: JetStreamManager, options: ResolvedOptions): Promise<StreamInfo> {
  const wanted = limits(options);
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(options.stream);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      return await jsm.streams.add({
        name: options.stream,
        subjects: [`${options.subject}.>`],
        storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
        num_replicas: options.replicas,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        ...wanted,
      });
    } catch (addError) {
      // Another node created it meanwhile.
      if (!/already in use/i.test(String((addError as Error)?.message))) throw addError;
      info = await jsm.streams.info(options.stream);
    }
  }
  const config = info.config;
  if (config.max_msgs !== wanted.max_msgs || config.max_age !== wanted.max_age || config.max_bytes !== wanted.max_bytes) {
    info = await jsm.streams.update(options.stream, { ...config, ...wanted });
  }
  return info;
}

/** True for the "no such stream" answer. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error.name === 'StreamNotFoundError' || /stream not found/i.test(error.message));
}
