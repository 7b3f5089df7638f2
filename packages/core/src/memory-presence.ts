/**
 * Presence inside one process: the in-memory transport's {@link TransportPresence}. Every broker
 * sharing the transport shares it; nothing expires, as nothing here can die without the process.
 */
import type { PresenceEntry, TransportPresence } from './transport.js';

export function createMemoryPresence(): TransportPresence {
  /** topic → client → its session ids on the topic. */
  const topics = new Map<string, Map<string, Set<string>>>();

  return {
    join(topic, clientId, sessionId) {
      let clients = topics.get(topic);
      if (!clients) {
        clients = new Map();
        topics.set(topic, clients);
      }
      let sessions = clients.get(clientId);
      if (!sessions) {
        sessions = new Set();
        clients.set(clientId, sessions);
      }
      sessions.add(sessionId);
      return sessions.size;
    },

    leave(topic, clientId, sessionId) {
      const clients = topics.get(topic);
      const sessions = clients?.get(clientId);
      if (!clients || !sessions?.delete(sessionId)) return undefined;
      if (sessions.size === 0) clients.delete(clientId);
      if (clients.size === 0) topics.delete(topic);
      return sessions.size;
    },

    list(topic) {
      const clients = topics.get(topic);
      if (!clients) return [];
      const entries: PresenceEntry[] = [];
      for (const [clientId, sessions] of clients) entries.push({ clientId, sessions: sessions.size });
      return entries.sort(byClientId);
    },

    // Nothing changes here on its own: sessions leave only through `leave`.
    watch: () => () => {},
  };
}

/** Orders entries by client id (code units, as Redis and every node sort them alike). */
export function byClientId(a: PresenceEntry, b: PresenceEntry): number {
  return a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0;
}
