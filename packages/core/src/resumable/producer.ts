/**
 * Runs a resumable stream's source once, detached from any request: each item becomes an event
 * with the stream's next id, stored for every reader, until the source ends, fails, is stopped
 * (from any node), is abandoned or outgrows its caps; then the final event is stored and the
 * stream kept for its TTL.
 */
import { type EncodeOptions, encodeEvent, type SseEvent } from '../encode.js';
import { iteratorOf, type StreamSource } from '../source.js';
import { DONE_EVENT, FAILED_EVENT, type ResumableOutcome, type ResumableSource } from './options.js';
import type { ResumableStore } from './store.js';

const textDecoder = new TextDecoder();
const STOPPED = Symbol('stopped');

/** A producer's settings, with every default filled in. */
export interface ProducerSettings {
  readonly ttl: number;
  readonly maxRunTime: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly whenAbandoned: 'continue' | 'stop';
  readonly abandonTimeout: number;
  readonly map: ((item: unknown) => SseEvent) | undefined;
  readonly onError: ((error: unknown) => unknown) | undefined;
  /** Store the final `ssekit:done` / `ssekit:error` event (see `ResumableOptions.endEvents`). */
  readonly endEvents: boolean;
  readonly encodeOptions: EncodeOptions;
  /** The broker's `onError`, for a source that threw and a store that failed. */
  readonly report: (error: unknown) => void;
}

/** Runs the producer of stream `id` (already created in `store`). Resolves with how it ended. */
export async function produce(
  store: ResumableStore,
  id: string,
  source: ResumableSource,
  settings: ProducerSettings,
  controller: AbortController,
): Promise<ResumableOutcome> {
  let stopReason: 'stopped' | 'abandoned' | undefined;
  const stop = (reason: 'stopped' | 'abandoned') => {
    stopReason ??= reason;
    controller.abort(reason);
  };
  const removeStopListener = store.onStop(id, () => stop('stopped'));
  const abandonWatch =
    settings.whenAbandoned === 'stop' ? watchAbandon(store, id, settings.abandonTimeout, () => stop('abandoned')) : undefined;
  const map = settings.map ?? defaultMap;
  let overtime = false;
  const runTimer = setTimeout(() => {
    overtime = true;
    controller.abort('limit');
  }, settings.maxRunTime);
  runTimer.unref?.();
  let seq = 0;
  let bytes = 0;
  let outcome: ResumableOutcome;
  let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
  let finishedIterating = false;
  const cancel = () => {
    if (!iterator || finishedIterating) return;
    finishedIterating = true; // return() once
    void Promise.resolve(iterator.return?.()).catch(() => {});
  };
  controller.signal.addEventListener('abort', cancel, { once: true });
  const aborted = new Promise<typeof STOPPED>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve(STOPPED), { once: true }),
  );

  let failure: unknown;
  try {
    iterator = iteratorOf(typeof source === 'function' ? (source as (signal: AbortSignal) => StreamSource)(controller.signal) : source);
    for (;;) {
      if (overtime) {
        outcome = { reason: 'limit' };
        break;
      }
      if (stopReason) {
        outcome = { reason: stopReason };
        break;
      }
      // A stop must not wait for the source's next item (a model still thinking): race them.
      const pending = Promise.resolve(iterator.next());
      const step = await Promise.race([pending, aborted]);
      if (step === STOPPED) {
        pending.catch(() => {});
        continue;
      }
      if (step.done) {
        finishedIterating = true;
        outcome = stopReason ? { reason: stopReason } : { reason: 'complete', ...(step.value !== undefined && { value: step.value }) };
        break;
      }
      if (stopReason) continue;
      const chunk = encodeEvent({ ...map(step.value), id: seq + 1 }, settings.encodeOptions);
      if (seq + 1 > settings.maxEvents || bytes + chunk.byteLength > settings.maxBytes) {
        outcome = { reason: 'limit' };
        controller.abort('limit');
        break;
      }
      bytes += chunk.byteLength;
      if ((await store.append(id, ++seq, chunk)) === 'stopped') stop('stopped');
    }
  } catch (error) {
    finishedIterating = true; // a throwing iterator is finished; return() must not be called on it
    if (overtime) outcome = { reason: 'limit' };
    else if (stopReason) outcome = { reason: stopReason };
    else {
      outcome = { reason: 'failed' };
      failure = error;
      settings.report(error);
    }
  }
  controller.signal.removeEventListener('abort', cancel);
  cancel();
  abandonWatch?.();
  clearTimeout(runTimer);
  removeStopListener();
  if (!controller.signal.aborted) controller.abort(outcome.reason);
  try {
    if (settings.endEvents) {
      seq++;
      await store.append(id, seq, encodeEvent({ ...finalEvent(outcome, settings, failure), id: seq }, settings.encodeOptions));
    }
    await store.finish(id, settings.ttl);
  } catch (error) {
    // The store is out of reach: readers wait until it expires the stream. Report it.
    settings.report(error);
  }
  return outcome;
}

/** The event that ends the stream for every reader. */
function finalEvent(outcome: ResumableOutcome, settings: ProducerSettings, failure: unknown): SseEvent {
  if (outcome.reason === 'failed') return { event: FAILED_EVENT, data: failureData(settings, failure) };
  if (outcome.reason === 'limit') return { event: FAILED_EVENT, data: { reason: 'limit' } };
  return { event: DONE_EVENT, data: outcome };
}

/** What `onError` gives for the failure event, or the default when it throws or gives nothing. */
function failureData(settings: ProducerSettings, failure: unknown): unknown {
  try {
    const data = settings.onError?.(failure);
    if (data !== undefined) return data;
  } catch {}
  return { reason: 'source-failed' };
}

/** Stops the producer once no reader was attached for `timeout` ms. Returns the cancel function. */
function watchAbandon(store: ResumableStore, id: string, timeout: number, abandon: () => void): () => void {
  const timer = setInterval(
    () => {
      store
        .idleFor(id)
        .then((idle) => {
          if (idle !== undefined && idle >= timeout) abandon();
        })
        .catch(() => {});
    },
    Math.max(10, Math.floor(timeout / 4)),
  );
  timer.unref?.();
  return () => clearInterval(timer);
}

function defaultMap(item: unknown): SseEvent {
  if (typeof item === 'string') return { data: item };
  if (item instanceof Uint8Array) return { data: textDecoder.decode(item) };
  return item as SseEvent;
}
