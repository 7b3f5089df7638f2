/**
 * From `publish()` to the transport: the event validated and serialized once, its id checked,
 * and the publishes still waiting for the transport's answer tracked, so a graceful close can
 * wait for them.
 */

import { channels as diagnostics, type PublishMessage, topicsOf } from './diagnostics.js';
import type { SseEvent } from './encode.js';
import { type EncodeOptions, formatEvent } from './encode.js';
import { type EventSchemas, validateData } from './schemas.js';
import type { Transport } from './transport.js';

export class Publisher {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly transport: Transport,
    private readonly encodeOptions: EncodeOptions,
    private readonly counters: { published: number },
    private readonly schemas: EventSchemas | undefined,
  ) {}

  /** Publishes to internal channel names; rejects (never throws) on invalid events. */
  publish(channels: readonly string[], event: SseEvent): Promise<string> {
    let result: string | Promise<string>;
    try {
      const checked = this.schemas ? { ...event, data: validateData(this.schemas, event.event ?? 'message', event.data) } : event;
      const id = checked.id;
      let body: SseEvent = checked;
      if (id !== undefined) {
        const { id: _, ...rest } = checked;
        body = rest;
      }
      // The broker always adds an id line, so a published event is always dispatched: give it data.
      if (body.data === undefined && body.event === undefined) body = { ...body, data: '' };
      const frame = formatEvent(body, this.encodeOptions);
      if (id !== undefined) formatEvent({ id }); // validates the id
      this.counters.published++;
      if (diagnostics.publish.hasSubscribers) diagnostics.publish.publish(publishMessage(channels));
      result = this.transport.publish(channels, frame, id === undefined ? undefined : String(id));
    } catch (error) {
      return Promise.reject(error);
    }
    // A transport that answered at once (the in-memory one) has nothing for a close to wait for.
    if (typeof result === 'string') return Promise.resolve(result);
    const published = Promise.resolve(result);
    const settled: Promise<boolean> = published.then(
      () => this.pending.delete(settled),
      () => this.pending.delete(settled),
    );
    this.pending.add(settled);
    return published;
  }

  /** Resolves once every publish so far has its answer, or after `timeout` ms. */
  settled(timeout: number): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    return Promise.race([Promise.all(this.pending).then(() => {}), late]).finally(() => clearTimeout(timer));
  }
}

function publishMessage(channels: readonly string[]): PublishMessage {
  const first = channels[0] ?? '';
  const target = first === '*' ? 'broadcast' : first.startsWith('@') ? 'client' : 'topic';
  return { target, topics: target === 'topic' ? topicsOf(channels) : [] };
}
