import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Broker } from '@ssekit/core';
import type { Metrics } from '../shared/events.js';

/** How often the event-loop monitor samples, in milliseconds. */
const RESOLUTION_MS = 10;

/**
 * Samples the process for the page's charts. Each call covers the time since the previous one:
 * the event-loop histogram is reset and deliveries are counted as a difference.
 */
export function createMetricsSampler(broker: Pick<Broker, 'stats'>): { sample(): Metrics; stop(): void } {
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  let delivered = broker.stats().delivered;
  let last = performance.now();
  return {
    sample() {
      const stats = broker.stats();
      const now = performance.now();
      const seconds = Math.max((now - last) / 1000, 0.001);
      const sample: Metrics = {
        at: Date.now(),
        // Nanoseconds between samples, which include the sampling interval itself: take it off to
        // get the delay. p99 shows stalls that a mean would hide.
        loopDelayMs: round(Math.max(loop.percentile(99) / 1e6 - RESOLUTION_MS, 0)),
        heapUsedMb: round(process.memoryUsage().heapUsed / 2 ** 20),
        connections: stats.connections,
        eventsPerSecond: round((stats.delivered - delivered) / seconds),
      };
      loop.reset();
      delivered = stats.delivered;
      last = now;
      return sample;
    },
    stop: () => loop.disable(),
  };
}

const round = (value: number) => Math.round(value * 10) / 10;
