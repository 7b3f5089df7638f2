/**
 * `@ssekit/otel`: OpenTelemetry metrics for ssekit, recorded from the broker's
 * `node:diagnostics_channel` events through `@opentelemetry/api`.
 *
 * @module
 */
export { isEventStreamRequest, type RequestWithHeaders } from './event-stream-request.js';
export { LIFETIME_BUCKETS } from './instruments.js';
export { createSseMetrics, type SseMetrics, type SseMetricsOptions } from './metrics.js';
