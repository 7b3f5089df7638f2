/**
 * Who listens on which channel. Channel names are internal: `#topic`, `@clientId`, and `*` for
 * broadcasts; every stream is on `*` and its client's channel from the moment it opens.
 */
import type { AnyStream } from './stream.js';

export const BROADCAST = '*';
export const topicChannel = (topic: string): string => `#${topic}`;
export const clientChannel = (clientId: string): string => `@${clientId}`;

/** Told when a channel gets its first subscriber and loses its last (see `Transport.watch`). */
export interface ChannelWatcher {
  watch?(channel: string): void;
  unwatch?(channel: string): void;
}

export class Channels {
  constructor(private readonly watcher: ChannelWatcher = {}) {}

  // A channel with one subscriber holds it directly: most per-client channels have one session,
  // and a Set per idle connection would cost more than the connection itself.
  private readonly subscribers = new Map<string, AnyStream | Set<AnyStream>>();

  join(stream: AnyStream, channel: string): void {
    if (stream.channels.includes(channel)) return;
    stream.channels.push(channel);
    const current = this.subscribers.get(channel);
    if (current === undefined) {
      this.subscribers.set(channel, stream);
      try {
        this.watcher.watch?.(channel);
      } catch (error) {
        // The transport cannot read it (the Redis transport's `shardOf` returned no shard): not joined.
        this.subscribers.delete(channel);
        stream.channels.pop();
        throw error;
      }
    } else if (current instanceof Set) current.add(stream);
    else this.subscribers.set(channel, new Set([current, stream]));
  }

  leave(stream: AnyStream, channel: string): void {
    const at = stream.channels.indexOf(channel);
    if (at === -1) return;
    stream.channels.splice(at, 1);
    const current = this.subscribers.get(channel);
    if (current === stream || (current instanceof Set && current.delete(stream) && current.size === 0)) {
      this.subscribers.delete(channel);
      try {
        this.watcher.unwatch?.(channel);
      } catch {
        // Nobody here needs the channel any more; a transport that cannot stop reading it only
        // reads more than it must. The stream's release goes on.
      }
    }
  }

  leaveAll(stream: AnyStream): void {
    for (let i = stream.channels.length - 1; i >= 0; i--) this.leave(stream, stream.channels[i] as string);
  }

  /** Calls `visit` for every subscriber of each channel (a stream on several channels more than once). */
  forEach(channels: readonly string[], visit: (stream: AnyStream) => void): void {
    for (const channel of channels) {
      const subscribed = this.subscribers.get(channel);
      if (subscribed instanceof Set) for (const stream of subscribed) visit(stream);
      else if (subscribed !== undefined) visit(subscribed);
    }
  }
}
