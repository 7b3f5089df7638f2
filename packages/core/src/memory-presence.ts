/**
 * Presence inside one process: the in-memory transport's {@link TransportPresence}. Every broker
 * sharing the transport shares it; nothing expires, as nothing here can die without the process.
 * Notices are published synchronously with the change, so they keep its order.
 */
import { topicChannel } from './channels.js';
import type { PresenceEntry, TransportPresence } from './transport.js';

interface Present {
  readonly sessions: Set<string>;
  /** The leave notice to publish when the last session goes (when the topic has notices). */
  leave: string | undefined;
}

/** `publish` is the transport's own: notices are events of the topic like any other. */
export function createMemoryPresence(publish: (channels: readonly string[], frame: string) => void): TransportPresence {
  /** topic → client → its sessions on the topic. */
  const topics = new Map<string, Map<string, Present>>();

  return {
    join(topic, clientId, sessionId, notices) {
      let clients = topics.get(topic);
      if (!clients) {
        clients = new Map();
        topics.set(topic, clients);
      }
      let present = clients.get(clientId);
      if (!present) {
        present = { sessions: new Set(), leave: undefined };
        clients.set(clientId, present);
      }
      const before = present.sessions.size;
      present.sessions.add(sessionId);
      if (before === 0 && present.sessions.size === 1 && notices) {
        present.leave = notices.leave;
        publish([topicChannel(topic)], notices.join);
      }
      return present.sessions.size;
    },

    leave(topic, clientId, sessionId) {
      const clients = topics.get(topic);
      const present = clients?.get(clientId);
      if (!clients || !present?.sessions.delete(sessionId)) return undefined;
      if (present.sessions.size > 0) return present.sessions.size;
      clients.delete(clientId);
      if (clients.size === 0) topics.delete(topic);
      if (present.leave !== undefined) publish([topicChannel(topic)], present.leave);
      return 0;
    },

    list(topic) {
      const clients = topics.get(topic);
      if (!clients) return [];
      const entries: PresenceEntry[] = [];
      for (const [clientId, present] of clients) entries.push({ clientId, sessions: present.sessions.size });
      return entries.sort(byClientId);
    },
  };
}

/** Orders entries by client id (code units, as Redis and every node sort them alike). */
export function byClientId(a: PresenceEntry, b: PresenceEntry): number {
  return a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0;
}
