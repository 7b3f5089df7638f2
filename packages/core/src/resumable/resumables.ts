/**
 * The broker's resumable streams: starting producers within the per-client cap, stopping them
 * from any node, and admitting readers (who may read, from where).
 */
import type { EncodeOptions, SseEvent } from '../encode.js';
import { SseRejectedError } from '../errors.js';
import { encodeGap } from '../gap.js';
import type { AnyStream } from '../stream.js';
import { createMemoryResumableStore } from './memory-store.js';
import type { ResumableOptions, ResumableOutcome, ResumableSettings, ResumableSource, ResumableStream } from './options.js';
import { type ProducerSettings, produce } from './producer.js';
import { follow, READ_BYTES, type ReaderCounters } from './reader.js';
import type { ResumableStore, StoredRead } from './store.js';

/** A reader the broker may register: where it starts, and the gap notice it gets first, if any. */
export interface AdmittedReader {
  readonly id: string;
  readonly first: StoredRead;
  readonly notice: Uint8Array | undefined;
}

const NOT_FOUND = 'No stream with this id: it ended more than its TTL ago, or never existed. Start a new one.';

/** See the file comment. One per broker. */
export class Resumables {
  private readonly store: ResumableStore;
  private readonly ownStore: boolean;
  /** Producers running on this process, by owner. */
  private readonly running = new Map<string, number>();
  private readonly producers = new Map<string, Promise<ResumableOutcome>>();

  constructor(
    private readonly settings: ResumableSettings,
    transportStore: ResumableStore | undefined,
    private readonly encodeOptions: EncodeOptions,
    private readonly report: (error: unknown, streamId: string) => void,
  ) {
    this.store = settings.store ?? transportStore ?? createMemoryResumableStore();
    this.ownStore = settings.store === undefined && transportStore === undefined;
  }

  /**
   * Creates stream `options.id` (or a random id) in the store and runs its producer in the
   * background. Refused with 429 past `maxPerClient` producers for the owner on this process.
   */
  async start(source: ResumableSource, options: ResumableOptions<unknown>): Promise<ResumableStream> {
    const owner = options.owner;
    const maxPerClient = this.settings.maxPerClient ?? 4;
    const ownerKey = owner ?? '';
    const count = this.running.get(ownerKey) ?? 0;
    if (owner !== undefined && count >= maxPerClient) {
      throw new SseRejectedError(429, `At most ${maxPerClient} answers may be generated at once for one client; wait for one to finish.`, {
        'retry-after': '5',
      });
    }
    const id = options.id ?? globalThis.crypto.randomUUID();
    const settings = this.producerSettings(options, id);
    this.running.set(ownerKey, count + 1);
    try {
      // Kept while it may run, and its TTL after: a producer whose node died expires too.
      await this.store.create(id, { owner, ttl: settings.maxRunTime + settings.ttl });
    } catch (error) {
      this.release(ownerKey);
      throw error;
    }
    const controller = new AbortController();
    const finished = produce(this.store, id, source, settings, controller).finally(() => this.release(ownerKey));
    this.producers.set(id, finished);
    void finished.finally(() => this.producers.delete(id));
    return { id, signal: controller.signal, finished, stop: () => void this.store.stop(id).catch((error) => this.report(error, id)) };
  }

  /**
   * Stops stream `id` wherever its producer runs. With `clientId`, only its owner may: another
   * client's stop is ignored (false), as for an unknown id.
   */
  async stop(id: string, clientId?: string): Promise<boolean> {
    if (clientId !== undefined) {
      const read = await this.store.read(id, Number.MAX_SAFE_INTEGER, 0);
      if (!read || (read.owner !== undefined && read.owner !== clientId)) return false;
    }
    return this.store.stop(id);
  }

  /**
   * Admits a reader of stream `id` for `clientId` (when the broker knows client keys), starting
   * after `lastEventId`: refused with 404 when the stream is unknown, expired or another
   * client's. An id that is not one of the stream's starts from the beginning, after a gap notice.
   */
  async admit(id: string, clientId: string | undefined, lastEventId: string | null | undefined): Promise<AdmittedReader> {
    let after = 0;
    let notice: Uint8Array | undefined;
    if (lastEventId !== undefined && lastEventId !== '') {
      if (lastEventId !== null && /^\d{1,15}$/.test(lastEventId)) after = Number(lastEventId);
      else notice = encodeGap(lastEventId, 'unknown');
    }
    const first = await this.store.read(id, after, READ_BYTES);
    if (!first || (first.owner !== undefined && first.owner !== clientId)) throw new SseRejectedError(404, NOT_FOUND);
    return { id, first, notice };
  }

  /** Starts writing an admitted reader's events to its open stream. */
  follow(stream: AnyStream, reader: AdmittedReader, counters: ReaderCounters): void {
    if (reader.notice) stream.queue(reader.notice);
    void follow(stream, this.store, reader.id, reader.first, counters, (error) => this.report(error, reader.id));
  }

  /** Stops every producer running here (their readers get `ssekit:done`, reason `stopped`) and waits for them. */
  async close(timeout: number): Promise<void> {
    // Stopped through the store, so their final events are stored like any stop.
    const pending = [...this.producers.values()];
    for (const id of this.producers.keys()) await this.store.stop(id).catch(() => false);
    await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, timeout).unref?.())]);
    if (this.ownStore) await this.store.close();
  }

  private producerSettings(options: ResumableOptions<unknown>, id: string): ProducerSettings {
    const defaults = this.settings;
    return {
      ttl: options.ttl ?? defaults.ttl ?? 300_000,
      maxRunTime: options.maxRunTime ?? defaults.maxRunTime ?? 600_000,
      maxEvents: options.maxEvents ?? defaults.maxEvents ?? 100_000,
      maxBytes: options.maxBytes ?? defaults.maxBytes ?? 4_194_304,
      whenAbandoned: options.whenAbandoned ?? defaults.whenAbandoned ?? 'continue',
      abandonTimeout: options.abandonTimeout ?? defaults.abandonTimeout ?? 30_000,
      map: options.map as ((item: unknown) => SseEvent) | undefined,
      onError: options.onError,
      endEvents: options.endEvents ?? true,
      encodeOptions: this.encodeOptions,
      report: (error) => this.report(error, id),
    };
  }

  private release(ownerKey: string): void {
    const count = (this.running.get(ownerKey) ?? 1) - 1;
    if (count <= 0) this.running.delete(ownerKey);
    else this.running.set(ownerKey, count);
  }
}
