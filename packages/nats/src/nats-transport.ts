import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { SseEncodeError, SseTransportError, type Transport, type TransportListener } from '@ssekit/core';
import { Connection, notConnected, openConnection } from './connection.js';
import { formatEventId, looksLikeEventId, newTag } from './event-id.js';
import { headersFor, subjectFor } from './message.js';
import { type NatsTransportOptions, resolveOptions } from './options.js';
import { isNoStream, publishFailure } from './publish-error.js';
import { ReadLoop } from './read-loop.js';
import { type Replayed, readReplay } from './replay.js';
import { ensureStream } from './stream-setup.js';

/** Publisher-given ids go in a subject (base64url): this keeps it far below the protocol's line limit. */
const MAX_ID_BYTES = 1024;

/** The JetStream handles of one connection, made once it is open. */
interface Handles {
  readonly connection: Connection;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
}

/**
 * A {@link Transport} over one NATS JetStream stream: every node of the app publishes events
 * into it, reads it with one ephemeral consumer, and replays from it after a client's
 * `Last-Event-ID`, whichever node the client saw that id on.
 *
 * The SSE id of an event is `<stream sequence>-<tag>` (the tag, random and stored with the
 * message, tells an id of a stream created again from one of the old stream), unless the
 * publisher gave one: such ids go on a subject of their own and resolve on replay (ids shaped like
 * the transport's own are refused with `SseEncodeError`, code `INVALID_ID`).
 *
 * `publish` rejects with `SseTransportError` (code `TRANSPORT_FAILED`) when NATS is unreachable
 * (nothing was sent) or refuses the event (not stored). When the acknowledgement is lost in flight
 * the message says the outcome is unknown: the event may have been stored and be delivered.
 *
 * History the read loop finds lost behind its cursor (the stream created again after a server
 * restart without persistence, messages removed by the limits before it read them) is reported to
 * the listeners' `gap()` before the messages that follow.
 *
 * @example
 * ```ts
 * import { createBroker } from '@ssekit/core';
 * import { createNatsTransport } from '@ssekit/nats';
 *
 * const broker = createBroker({ transport: createNatsTransport({ nats: 'nats://127.0.0.1:4222', maxAge: 600_000 }) });
 * await broker.publish('news', { data: 'hello from any node' });
 * ```
 * @see https://docs.nats.io/nats-concepts/jetstream
 */
export function createNatsTransport(options: NatsTransportOptions): Transport {
  const resolved = resolveOptions(options);
  let closed = false;
  const opening = (
    typeof options.nats === 'string'
      ? openConnection(options.nats, resolved, () => closed)
      : Promise.resolve(new Connection(options.nats, false))
  ).then(async (connection): Promise<Handles> => {
    if (!connection) throw new SseTransportError('The NATS transport was closed before it connected.');
    const jsm = await jetstreamManager(connection.nc, { timeout: resolved.timeout, checkAPI: false });
    return { connection, jsm, js: jetstream(connection.nc, { timeout: resolved.timeout }) };
  });
  opening.catch(() => {}); // reported to whoever waits for it
  const listeners = new Set<TransportListener>();
  const connection = opening.then((handles) => handles.connection);
  connection.catch(() => {}); // the loop, if it ever starts, handles it
  const loop = new ReadLoop(connection, resolved, {
    message(message) {
      for (const listener of listeners) listener.message(message);
    },
    gap(detail) {
      resolved.onError(new SseTransportError(`NATS lost events before this node read them: ${detail}`));
      for (const listener of listeners) listener.gap({ detail });
    },
  });
  let reconnectWatch: (() => void) | undefined;
  void opening.then(
    (handles) => {
      if (!closed) reconnectWatch = handles.connection.onReconnect(() => loop.recheck());
    },
    () => {},
  );

  const ensureOpen = (doing: string) => {
    if (closed) throw new SseTransportError(`Cannot ${doing}: the NATS transport is closed.`);
  };

  /** The handles once connected, or a rejection after `timeout` saying nothing was sent. */
  const connected = async (doing: string): Promise<Handles> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(notConnected(doing, `not connected after ${resolved.timeout} ms`)), resolved.timeout);
    });
    try {
      const handles = await Promise.race([opening, late]);
      await Promise.race([handles.connection.whenConnected(resolved.timeout, doing), late]);
      return handles;
    } catch (error) {
      throw error instanceof SseTransportError ? error : notConnected(doing, String((error as Error)?.message ?? error));
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async publish(channels, frame, id) {
      ensureOpen('publish');
      if (id !== undefined && Buffer.byteLength(id) > MAX_ID_BYTES) {
        throw new SseEncodeError(
          'INVALID_ID',
          'id',
          `The id is ${Buffer.byteLength(id)} bytes long; the NATS transport puts publisher-given ids in a subject, which takes at most ${MAX_ID_BYTES} bytes of id. Use a shorter id.`,
        );
      }
      if (id !== undefined && looksLikeEventId(id)) {
        throw new SseEncodeError(
          'INVALID_ID',
          'id',
          `The id "${id}" has the shape of the NATS transport's own ids (<sequence>-<8 letters or digits>); the transport assigns those. Leave the id out, or use another shape.`,
        );
      }
      const { jsm, js } = await connected('publish');
      const tag = newTag();
      const send = () =>
        js.publish(subjectFor(resolved.subject, id), frame, { headers: headersFor(channels, tag, id), timeout: resolved.timeout });
      let seq: number;
      try {
        seq = (await send()).seq;
      } catch (cause) {
        if (!isNoStream(cause)) throw publishFailure(cause);
        // No stream took it (a server restarted without persistence, or nobody created it yet):
        // nothing was stored, so create the stream and send once more.
        try {
          await ensureStream(jsm, resolved);
          seq = (await send()).seq;
        } catch (again) {
          throw publishFailure(again);
        }
      }
      loop.published(seq);
      return id ?? formatEventId(seq, tag);
    },

    subscribe(listener) {
      listeners.add(listener);
      if (!closed) loop.start();
      return () => {
        listeners.delete(listener);
      };
    },

    // A stream registered before the read loop knows where the stream ends could miss the events
    // published meanwhile: the loop starts from the end it finds.
    async ready() {
      ensureOpen('open a stream');
      if (loop.active) await loop.started(resolved.timeout);
    },

    async replay(channels, lastEventId) {
      ensureOpen('replay');
      const { jsm, js } = await connected('replay');
      // The live read must have a starting point before the replay reads the stream's end.
      if (loop.active) await loop.started(resolved.timeout);
      let replayed: Replayed;
      try {
        replayed = await readReplay(jsm, js, resolved, loop.generation, channels, lastEventId);
      } catch (cause) {
        throw new SseTransportError('NATS could not replay the history after Last-Event-ID.', { cause });
      }
      // Not needed for correctness (`through` settles the seam), but a loop close behind
      // delivers first and the broker holds fewer live events meanwhile.
      if (replayed.upTo !== undefined) await loop.reached(replayed.upTo, resolved.timeout);
      return replayed.result;
    },

    async flush(timeout) {
      const newest = loop.newestPublished;
      if (newest !== undefined) await loop.reached(newest, timeout);
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      reconnectWatch?.();
      await loop.stop();
      // Still connecting from a URL: it gives up at its next attempt (within `timeout`), seeing `closed`.
      const handles = await opening.catch(() => undefined);
      await handles?.connection.close();
    },
  };
}
