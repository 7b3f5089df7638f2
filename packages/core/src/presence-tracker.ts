/**
 * The broker's side of presence: tells the transport when a stream joins or leaves a topic (on
 * open, subscribe, unsubscribe and close, never per event), in order per stream, with the
 * notices to publish for topics that opted in. The transport publishes them, atomically with the
 * change. Failures go to `onError` (phase `presence`).
 */
import { formatEvent } from './encode.js';
import { SseError } from './errors.js';
import { byClientId } from './memory-presence.js';
import { JOIN_EVENT, LEAVE_EVENT, type Presence, type PresenceNotice, type PresenceOptions } from './presence.js';
import type { ErrorHandler } from './report.js';
import type { AnyStream } from './stream.js';
import type { PresenceFrames, TransportPresence } from './transport.js';

const allTopics = () => true;
const noTopics = () => false;

export class PresenceTracker {
  /** Each stream's presence calls, chained: a leave always follows its join. */
  private readonly tails = new Map<AnyStream, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private readonly track: (topic: string) => boolean;
  private readonly notify: (topic: string) => boolean;
  /** Makes session ids unique among the brokers sharing one transport in one process. */
  private readonly prefix = `${Math.random().toString(36).slice(2, 10)}.`;

  constructor(
    private readonly presence: TransportPresence | undefined,
    options: PresenceOptions | false | undefined,
    private readonly report: ErrorHandler,
  ) {
    const notify = options === false ? noTopics : (options?.notify ?? noTopics);
    const track = options === false ? noTopics : (options?.track ?? allTopics);
    this.notify = notify;
    this.track = (topic) => track(topic) || notify(topic);
  }

  /** The stream subscribed to `topics` (only topics it was not on before). */
  joined(stream: AnyStream, topics: readonly string[]): void {
    const presence = this.presence;
    const tracked = presence ? topics.filter(this.track) : [];
    if (!presence || tracked.length === 0) return;
    this.inOrder(stream, tracked, async (topic) => {
      const notices = this.notify(topic) ? noticesOf(stream.clientId) : undefined;
      await presence.join(topic, stream.clientId, this.prefix + stream.id, notices);
    });
  }

  /** The stream left `topics` (only topics it was on). */
  left(stream: AnyStream, topics: readonly string[]): void {
    const presence = this.presence;
    const tracked = presence ? topics.filter(this.track) : [];
    if (!presence || tracked.length === 0) return;
    this.inOrder(stream, tracked, async (topic) => {
      await presence.leave(topic, stream.clientId, this.prefix + stream.id);
    });
  }

  /** See `Broker.presence`. */
  async list(topic: string): Promise<Presence> {
    if (!this.presence) {
      throw new SseError(
        'PRESENCE_UNAVAILABLE',
        "This broker's transport keeps no presence: use the in-memory transport or one that has `presence` (@ssekit/redis).",
      );
    }
    if (!this.track(topic)) {
      throw new SseError(
        'PRESENCE_UNAVAILABLE',
        `The presence of topic "${topic}" is not kept: accept it in BrokerOptions.presence.track (or notify).`,
      );
    }
    // Read this node's own writes: joins and leaves it has under way are recorded first.
    if (this.pending.size > 0) await Promise.all(this.pending);
    const clients = await this.presence.list(topic);
    return { topic, clients: [...clients].sort(byClientId) };
  }

  /** Resolves once every join and leave so far is recorded, or after `timeout` ms. */
  async settled(timeout: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    await Promise.race([Promise.all(this.pending), late]).finally(() => clearTimeout(timer));
  }

  /** Runs `step` for every topic at once, after the stream's previous step: a leave always follows its join. */
  private inOrder(stream: AnyStream, topics: readonly string[], step: (topic: string) => Promise<void>): void {
    const previous = this.tails.get(stream) ?? Promise.resolve();
    const run = (topic: string) => step(topic).catch((error: unknown) => this.report(error, { phase: 'presence', topic }));
    const tail = previous.then(() => Promise.all(topics.map(run))).then(() => {});
    this.tails.set(stream, tail);
    this.pending.add(tail);
    void tail.then(() => {
      this.pending.delete(tail);
      if (this.tails.get(stream) === tail) this.tails.delete(stream);
    });
  }
}

/**
 * The join and leave events of one client, as frames. Their data is always JSON (whatever the
 * broker's `serialize`): every transport and node writes the same bytes.
 */
function noticesOf(clientId: string): PresenceFrames {
  const frame = (event: string, notice: PresenceNotice) => formatEvent({ event, data: JSON.stringify(notice) });
  return { join: frame(JOIN_EVENT, { clientId, sessions: 1 }), leave: frame(LEAVE_EVENT, { clientId, sessions: 0 }) };
}
