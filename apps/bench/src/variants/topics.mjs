// What the curves need of every variant, in one place: the topic a client asked for (`?topic=`),
// subscribers kept per topic, and ssekit's publish with the bench's own ids.
import { EVENT_TYPE } from './event.mjs';

/** The topic in a request's `?topic=` query, or undefined (a broadcast-only client). */
export function topicOf(url) {
  const at = url.indexOf('topic=');
  if (at === -1) return undefined;
  const end = url.indexOf('&', at);
  return decodeURIComponent(url.slice(at + 6, end === -1 ? undefined : end));
}

/**
 * Subscribers of a hand-written server: every one in `all` (broadcasts), and by topic in a `Map`
 * of sets. `add` returns the function that removes the subscriber again.
 */
export function createSubscribers() {
  const all = new Set();
  const byTopic = new Map();
  return {
    all,
    add(subscriber, topic) {
      all.add(subscriber);
      if (topic === undefined) return () => all.delete(subscriber);
      let set = byTopic.get(topic);
      if (!set) {
        set = new Set();
        byTopic.set(topic, set);
      }
      set.add(subscriber);
      return () => {
        all.delete(subscriber);
        set.delete(subscriber);
        if (set.size === 0 && byTopic.get(topic) === set) byTopic.delete(topic);
      };
    },
    /** The subscribers an event for `topic` goes to (every one for a broadcast, `topic` undefined). */
    of: (topic) => (topic === undefined ? all : (byTopic.get(topic) ?? [])),
  };
}

/**
 * The variant's `publish(data, seq, topic)` on an ssekit broker: a broadcast without `topic`, and
 * the bench's sequence number as the event id when `ids` (replay: clients resume from `seq`).
 */
export function brokerPublish(broker, { ids = false } = {}) {
  return (data, seq, topic) => {
    const event = ids ? { event: EVENT_TYPE, data, id: String(seq) } : { event: EVENT_TYPE, data };
    void (topic === undefined ? broker.broadcast(event) : broker.publish(topic, event));
  };
}

/** Splits the options the runner passes to `create()`: the bench's own, the rest for `createBroker`. */
export function splitOptions(options = {}) {
  const { ids, ...broker } = options;
  return { ids, broker };
}
