// ssekit-node with a diagnostics listener attached: @ssekit/otel recording every channel into an
// OpenTelemetry SDK MeterProvider (a reader that never exports during the run). Beside ssekit-node,
// the cost of metrics when someone listens; ssekit-node itself is the cost when nobody does.
import http from 'node:http';
import { InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { createSseMetrics } from '@ssekit/otel';
import { EVENT_TYPE } from './event.mjs';

export function create() {
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(1), exportIntervalMillis: 3_600_000 });
  createSseMetrics({ meterProvider: new MeterProvider({ readers: [reader] }) });
  const broker = createBroker({ heartbeatInterval: 0 });
  const server = http.createServer((req, res) => {
    broker.stream(toStreamRequest(req), { route: '/events' }, () => createNodeSink(res)).catch(() => res.destroy());
  });
  return { server, count: () => broker.stats().connections, publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }) };
}
