/**
 * The instruments `@ssekit/otel` records, created once per meter. Names follow OpenTelemetry's
 * conventions (dot-separated, units in `unit`); a Prometheus exporter turns `ssekit.streams.open`
 * into `ssekit_streams_open` and adds `_total` to counters.
 */
import type { Counter, Histogram, Meter, ObservableCounter, ObservableGauge, UpDownCounter } from '@opentelemetry/api';

/**
 * The bucket bounds (seconds) `ssekit.stream.lifetime` advises: streams live from seconds to days,
 * far beyond the default HTTP buckets. A View can replace them.
 *
 * @example
 * ```ts
 * import { LIFETIME_BUCKETS } from '@ssekit/otel';
 * console.log(LIFETIME_BUCKETS.at(-1)); // 86400: one day
 * ```
 */
export const LIFETIME_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1_800, 3_600, 7_200, 14_400, 43_200, 86_400];

export interface Instruments {
  readonly open: UpDownCounter;
  readonly lifetime: Histogram;
  readonly published: Counter;
  readonly delivered: Counter;
  readonly bytes: Counter;
  readonly slowDrops: Counter;
  readonly replays: Counter;
  readonly replayed: Counter;
  readonly gaps: Counter;
  readonly sweeps: Counter;
  readonly heartbeats: Counter;
  readonly unresponsive: Counter;
  readonly lagEntries: ObservableGauge;
  readonly lagTime: ObservableGauge;
  readonly reconnects: ObservableCounter;
  readonly transportGaps: ObservableCounter;
}

export function createInstruments(meter: Meter): Instruments {
  return {
    open: meter.createUpDownCounter('ssekit.streams.open', { description: 'Open event streams.', unit: '{stream}' }),
    lifetime: meter.createHistogram('ssekit.stream.lifetime', {
      description: 'How long event streams stayed open, from admission to close (kept apart from http.server.request.duration).',
      unit: 's',
      advice: { explicitBucketBoundaries: LIFETIME_BUCKETS },
    }),
    published: meter.createCounter('ssekit.events.published', { description: 'Events published through the broker.', unit: '{event}' }),
    delivered: meter.createCounter('ssekit.events.delivered', {
      description: 'Event deliveries queued for streams (one event to one stream counts one).',
      unit: '{event}',
    }),
    bytes: meter.createCounter('ssekit.events.delivered.size', { description: 'Bytes of delivered events, over all streams.', unit: 'By' }),
    slowDrops: meter.createCounter('ssekit.streams.slow_drops', {
      description: 'Streams dropped for buffering more than maxBufferedBytes.',
      unit: '{stream}',
    }),
    replays: meter.createCounter('ssekit.replays', {
      description: 'Reconnects that asked for history after Last-Event-ID.',
      unit: '{replay}',
    }),
    replayed: meter.createCounter('ssekit.replay.events', { description: 'Events re-sent from history.', unit: '{event}' }),
    gaps: meter.createCounter('ssekit.gaps', { description: 'ssekit:gap events sent to streams.', unit: '{gap}' }),
    sweeps: meter.createCounter('ssekit.heartbeat.sweeps', { description: 'Heartbeat rounds over the open streams.', unit: '{sweep}' }),
    heartbeats: meter.createCounter('ssekit.heartbeats', { description: 'Heartbeat comments queued.', unit: '{heartbeat}' }),
    unresponsive: meter.createCounter('ssekit.streams.unresponsive_drops', {
      description: 'Streams dropped because their peer stopped acknowledging.',
      unit: '{stream}',
    }),
    lagEntries: meter.createObservableGauge('ssekit.transport.lag.entries', {
      description: 'Entries the transport has not delivered to this node yet (last heartbeat sample).',
      unit: '{entry}',
    }),
    lagTime: meter.createObservableGauge('ssekit.transport.lag.time', {
      description: "How far behind the transport's reader is, by the entries' timestamps (last heartbeat sample).",
      unit: 'ms',
    }),
    reconnects: meter.createObservableCounter('ssekit.transport.reconnects', {
      description: "Times the transport's reader reconnected.",
      unit: '{reconnect}',
    }),
    transportGaps: meter.createObservableCounter('ssekit.transport.gaps', {
      description: 'Lost-history notices the transport reported.',
      unit: '{gap}',
    }),
  };
}
