/**
 * The demo's events: one map, used by `createBroker<Events>()` on the server and
 * `createClient<Events>()` in the page, so names and data are checked on both sides.
 * (A `type`, not an `interface`: it must fit core's `Record<string, unknown>` event map.)
 */
import type { PresenceNotice } from '@ssekit/core';

export type Events = {
  /** Sent to one session right after it opens (not stored): who it is and who serves it. */
  hello: { sessionId: string; user: string; framework: Framework; peer?: string };
  /** Published on the `ticks` topic every 500 ms; `seq` grows by one, so gaps are visible. */
  tick: { seq: number; at: number };
  /** Published on the `metrics` topic every second. */
  metrics: Metrics;
  /** Sent with `broker.send(to, …)`: reaches every open session of that user only. */
  notification: { from: string; to: string; text: string; at: number };
  /** Sent to one session right after it opens (not stored): who is on the `lobby` topic, from `broker.presence()`. */
  presence: { users: string[] };
  /** Published by the broker on `lobby` when a user's first session (on any server) subscribes to it. */
  'ssekit:join': PresenceNotice;
  /** Published by the broker on `lobby` when a user's last session leaves it (or its server died). */
  'ssekit:leave': PresenceNotice;
  /** One token of an assistant answer (a resumable stream): `i` counts from 1, so a hole shows. */
  token: { i: number; text: string };
};

/** Body of `POST /api/answers`: what to ask the (deterministic, local) assistant. */
export type AskRequest = { prompt: string };

/** One sample of the server's health. */
export type Metrics = {
  at: number;
  /** 99th percentile event-loop delay over the last second. */
  loopDelayMs: number;
  heapUsedMb: number;
  /** Open event streams. */
  connections: number;
  /** Events written to sockets in the last second (one event to one socket counts one). */
  eventsPerSecond: number;
};

/** The servers the demo runs on; each wires the same broker into its own routes. */
export const FRAMEWORKS = ['fastify', 'express', 'koa', 'hono'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** The topic whose presence is the "online" list: every page is on it; the broker sends its join/leave notices. */
export const LOBBY = 'lobby';

/** Topics every page subscribes to. */
export const TOPICS = ['ticks', 'metrics', LOBBY];

/** The online list after a join (`present`) or leave notice: sorted, each user once. */
export function updateOnline(online: readonly string[], user: string, present: boolean): string[] {
  const others = online.filter((name) => name !== user);
  return present ? [...others, user].sort() : others;
}

/** User names: short, lower-case, safe in a header, a URL and a channel name. */
export const USER_NAME = /^[a-z][a-z0-9_-]{0,23}$/;

/** Body of `POST /api/notify`. */
export type NotifyRequest = { to: string; text: string };
/** Answer of `POST /api/notify`: the event id, and how many sessions of `to` were open. */
export type NotifyResponse = { id: string; sessions: number };
/** Body of `POST /api/drop`: the session to close (from its `hello` event). */
export type DropRequest = { sessionId: string };
