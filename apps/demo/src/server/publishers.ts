import type { Broker } from '@ssekit/core';
import type { Events } from '../shared/events.js';
import { createMetricsSampler } from './metrics.js';

/** How often the publishers run, in milliseconds. */
export interface PublisherOptions {
  /** @default 500 */
  tickInterval?: number;
  /** @default 1000 */
  metricsInterval?: number;
}

/**
 * Starts the server-side publishers: a `tick` with an increasing `seq` (the page checks that none
 * is missing, even across a dropped connection) and a `metrics` sample. Returns a stop function.
 */
export function startPublishers(broker: Broker<Events>, options: PublisherOptions = {}): () => void {
  const sampler = createMetricsSampler(broker);
  let seq = 0;
  // Publishing only fails once the broker is closed, and then the timers are being stopped anyway.
  const ignore = () => {};
  const ticks = setInterval(() => {
    broker.publish('ticks', { event: 'tick', data: { seq: ++seq, at: Date.now() } }).catch(ignore);
  }, options.tickInterval ?? 500);
  const metrics = setInterval(() => {
    broker.publish('metrics', { event: 'metrics', data: sampler.sample() }).catch(ignore);
  }, options.metricsInterval ?? 1000);
  return () => {
    clearInterval(ticks);
    clearInterval(metrics);
    sampler.stop();
  };
}
