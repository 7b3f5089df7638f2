import { type Broker, createBroker, type ResumableStore } from '@ssekit/core';
import { type Events, LOBBY } from '../shared/events.js';
import { type User, userFromAuthorization } from './auth.js';

/**
 * The one broker every framework serves. `authorize` turns the bearer token into the user, whose
 * `id` becomes the client id: `broker.send('ada', …)` then reaches all of ada's tabs and no one
 * else's. Presence is the broker's: it records who is on the `lobby` topic (every page is) and
 * publishes `ssekit:join` / `ssekit:leave` there when a user's first session arrives or last one
 * goes; a new session gets the current list in its welcome (see api.ts). Assistant answers
 * are resumable streams, kept in `store` (Redis, shared by the demo's servers) or in memory.
 */
export function createDemoBroker(store?: ResumableStore): Broker<Events, User> {
  return createBroker<Events, User>({
    authorize: (request) => userFromAuthorization(request.header('authorization')) ?? false,
    // Reconnect after a second: quick enough to watch, slow enough that ticks are missed and replayed.
    retry: 1000,
    presence: { track: (topic) => topic === LOBBY, notify: (topic) => topic === LOBBY },
    // Answers are owned by the user who asked (its client key), kept 10 minutes after they end.
    resumable: { ...(store && { store }), ttl: 600_000, maxPerClient: 3 },
  });
}
