import { type Broker, createBroker, type ResumableStore } from '@ssekit/core';
import type { Events } from '../shared/events.js';
import { type User, userFromAuthorization } from './auth.js';

/**
 * The one broker every framework serves. `authorize` turns the bearer token into the user, whose
 * `id` becomes the client id: `broker.send('ada', …)` then reaches all of ada's tabs and no one
 * else's. Presence is broadcast whenever the set of connected users changes. Assistant answers
 * are resumable streams, kept in `store` (Redis, shared by the demo's servers) or in memory.
 */
export function createDemoBroker(store?: ResumableStore): Broker<Events, User> {
  let online = '';
  const announcePresence = () => {
    if (broker.closed) return;
    const users = [...new Set(Array.from(broker.connections(), (connection) => connection.clientId))].sort();
    if (users.join() === online) return;
    online = users.join();
    void broker.broadcast({ event: 'presence', data: { users } }).catch(() => {});
  };
  const broker = createBroker<Events, User>({
    authorize: (request) => userFromAuthorization(request.header('authorization')) ?? false,
    // Reconnect after a second: quick enough to watch, slow enough that ticks are missed and replayed.
    retry: 1000,
    onConnect: announcePresence,
    // Answers are owned by the user who asked (its client key), kept 10 minutes after they end.
    resumable: { ...(store && { store }), ttl: 600_000, maxPerClient: 3 },
    onDisconnect: announcePresence,
  });
  return broker;
}
