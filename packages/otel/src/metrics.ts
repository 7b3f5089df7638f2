/**
 * The bridge: subscribes to ssekit's diagnostics channels and records each message on the
 * instruments. It holds no stream state beyond which open streams it counted, so a bridge
 * attached while streams are already open never counts one below zero.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type Attributes, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
import {
  type Connection,
  type DeliverMessage,
  DIAGNOSTICS_CHANNELS,
  type GapMessage,
  type HeartbeatSweepMessage,
  type PublishMessage,
  type ReplayMessage,
  type SlowDropMessage,
  type StreamCloseMessage,
  type StreamOpenMessage,
  type TransportLagMessage,
} from '@ssekit/core';
import { createInstruments } from './instruments.js';

/** Options of {@link createSseMetrics}. */
export interface SseMetricsOptions {
  /**
   * Where the instruments come from.
   * @default the global meter provider (`metrics.getMeterProvider()` of `@opentelemetry/api`)
   */
  meterProvider?: MeterProvider;
  /**
   * The meter's name (the instrumentation scope).
   * @default '@ssekit/otel'
   */
  meterName?: string;
}

/** A running bridge; see {@link createSseMetrics}. */
export interface SseMetrics {
  /** Unsubscribes from every channel. Observable instruments report nothing new afterwards. */
  close(): void;
}

/** The attribute every per-stream instrument carries: the stream's route label, when set. */
const ROUTE = 'http.route';

/**
 * Records ssekit's diagnostics channels as OpenTelemetry metrics, for every broker in the process:
 * open streams (`ssekit.streams.open`, by `http.route`), stream lifetimes (`ssekit.stream.lifetime`,
 * seconds, by route and `ssekit.close.reason`: an instrument of its own, so hour-long streams never
 * land in `http.server.request.duration`), events published and delivered and their bytes, slow
 * drops, replays, gaps (by `ssekit.gap.reason`), heartbeat sweeps, and the transport's lag,
 * reconnects and lost-history notices (sampled every heartbeat round, when the transport has
 * `stats()`). Nothing is recorded until it is called: with no subscriber the broker publishes nothing.
 *
 * @example
 * ```ts
 * import { createSseMetrics } from '@ssekit/otel';
 *
 * const sseMetrics = createSseMetrics(); // the global MeterProvider, set up by your OpenTelemetry SDK
 * process.on('SIGTERM', () => sseMetrics.close());
 * ```
 */
export function createSseMetrics(options: SseMetricsOptions = {}): SseMetrics {
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  const meter: Meter = provider.getMeter(options.meterName ?? '@ssekit/otel');
  const instruments = createInstruments(meter);
  const counted = new WeakSet<Connection>();
  let lag: TransportLagMessage | undefined;

  const routeOf = (route: string | undefined): Attributes => (route === undefined ? {} : { [ROUTE]: route });

  const listeners: Record<keyof typeof DIAGNOSTICS_CHANNELS, (message: unknown) => void> = {
    streamOpen(message) {
      const { connection, route } = message as StreamOpenMessage;
      counted.add(connection);
      instruments.open.add(1, routeOf(route));
    },
    streamClose(message) {
      const { connection, route, reason, lifetime } = message as StreamCloseMessage;
      if (counted.delete(connection)) instruments.open.add(-1, routeOf(route));
      instruments.lifetime.record(lifetime / 1_000, { ...routeOf(route), 'ssekit.close.reason': reason });
    },
    publish(message) {
      instruments.published.add(1, { 'ssekit.publish.target': (message as PublishMessage).target });
    },
    deliver(message) {
      const { streams, bytes } = message as DeliverMessage;
      if (streams === 0) return;
      instruments.delivered.add(streams);
      instruments.bytes.add(bytes);
    },
    replay(message) {
      const { route, events } = message as ReplayMessage;
      instruments.replays.add(1, routeOf(route));
      instruments.replayed.add(events, routeOf(route));
    },
    gap(message) {
      const { route, reason } = message as GapMessage;
      instruments.gaps.add(1, { ...routeOf(route), 'ssekit.gap.reason': reason });
    },
    slowDrop(message) {
      instruments.slowDrops.add(1, routeOf((message as SlowDropMessage).route));
    },
    heartbeatSweep(message) {
      const { heartbeats, unresponsive } = message as HeartbeatSweepMessage;
      instruments.sweeps.add(1);
      if (heartbeats > 0) instruments.heartbeats.add(heartbeats);
      if (unresponsive > 0) instruments.unresponsive.add(unresponsive);
    },
    transportLag(message) {
      lag = message as TransportLagMessage;
    },
  };

  const observe = (result: { observe(value: number): void }, read: (sample: TransportLagMessage) => number) => {
    if (lag) result.observe(read(lag));
  };
  const callbacks = [
    [instruments.lagEntries, (result: { observe(value: number): void }) => observe(result, (s) => s.lagEntries)],
    [instruments.lagTime, (result: { observe(value: number): void }) => observe(result, (s) => s.lagMs)],
    [instruments.reconnects, (result: { observe(value: number): void }) => observe(result, (s) => s.reconnects)],
    [instruments.transportGaps, (result: { observe(value: number): void }) => observe(result, (s) => s.gapsReported)],
  ] as const;
  for (const [instrument, callback] of callbacks) instrument.addCallback(callback);

  const names = Object.keys(listeners) as Array<keyof typeof DIAGNOSTICS_CHANNELS>;
  for (const name of names) subscribe(DIAGNOSTICS_CHANNELS[name], listeners[name]);
  let closed = false;

  return {
    close() {
      if (closed) return;
      closed = true;
      for (const name of names) unsubscribe(DIAGNOSTICS_CHANNELS[name], listeners[name]);
      for (const [instrument, callback] of callbacks) instrument.removeCallback(callback);
    },
  };
}
