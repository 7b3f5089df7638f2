/**
 * Presence: who is subscribed to a topic, across every node sharing the transport, and the
 * `ssekit:join` / `ssekit:leave` notices a topic can opt into. The public face; the broker's
 * bookkeeping is in `presence-tracker.ts`.
 */
import type { PresenceEntry } from './transport.js';

/**
 * The event a topic's subscribers get when a client's first session subscribes to it (on any
 * node), if the topic opted in with `BrokerOptions.presence.notify`. Its data is a
 * {@link PresenceNotice} (`sessions` is `1`), as JSON whatever the broker's `serialize`. It is an
 * ordinary event of the topic: it has an id, keeps its place among the topic's events and is
 * replayed after `Last-Event-ID`. The transport publishes it with the change it reports, so
 * notices arrive in the order of the changes, across nodes too.
 */
export const JOIN_EVENT = 'ssekit:join';

/**
 * The event a topic's subscribers get when a client's last session leaves it (the stream ended
 * or unsubscribed, or the node serving it died and its presence expired), if the topic opted in.
 * Its data is a {@link PresenceNotice} (`sessions` is `0`).
 */
export const LEAVE_EVENT = 'ssekit:leave';

/**
 * The data of {@link JOIN_EVENT} and {@link LEAVE_EVENT}: which client, and its sessions on the
 * topic after the change. A client counts once, however many sessions (tabs) it has open.
 * @example
 * ```ts
 * const onJoin = (notice: PresenceNotice) => console.log(`${notice.clientId} is here`);
 * ```
 */
export interface PresenceNotice {
  readonly clientId: string;
  readonly sessions: number;
}

/** The event map of the presence notices, to merge into an app's own: `Events & PresenceEvents`. */
export type PresenceEvents = {
  'ssekit:join': PresenceNotice;
  'ssekit:leave': PresenceNotice;
};

/** What `broker.presence(topic)` resolves to. */
export interface Presence {
  /** The topic asked about. */
  readonly topic: string;
  /** Each client subscribed to it, once, with its count of sessions, sorted by client id. */
  readonly clients: readonly PresenceEntry[];
}

/**
 * Which topics keep presence and which send notices (`BrokerOptions.presence`). Give every node
 * sharing a transport the same settings: whether a client gets notices on a topic is decided
 * where its first session there joins.
 * @example
 * ```ts
 * const options: PresenceOptions = { notify: (topic) => topic.startsWith('room:') };
 * ```
 */
export interface PresenceOptions {
  /**
   * Topics whose subscribers are recorded (for `broker.presence(topic)`). A topic `notify`
   * accepts is always recorded.
   * @default every topic
   */
  track?: (topic: string) => boolean;
  /**
   * Topics whose subscribers get {@link JOIN_EVENT} and {@link LEAVE_EVENT}. The notices carry
   * client ids to everyone subscribed to the topic: use ids that are fine to show to them.
   * @default none
   */
  notify?: (topic: string) => boolean;
}
