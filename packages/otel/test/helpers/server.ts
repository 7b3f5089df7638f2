import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { type Broker, type BrokerOptions, createBroker, SseRejectedError } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';

/** A node:http server opening a stream on every request: `/<route>?topic=a&close=1`. */
export async function serve(options: BrokerOptions = {}, server = http.createServer()) {
  const broker: Broker = createBroker({ heartbeatInterval: 0, ...options });
  server.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/health') return void res.end('ok');
    try {
      const connection = await broker.stream(toStreamRequest(req), { topics: url.searchParams.getAll('topic'), route: url.pathname }, () =>
        createNodeSink(res),
      );
      if (url.searchParams.has('close')) {
        connection.send({ data: 'bye' });
        connection.close();
      }
    } catch (error) {
      res.writeHead(error instanceof SseRejectedError ? error.status : 500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    broker,
    url,
    async close() {
      await broker.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A MeterProvider whose metrics a test reads when it wants (the SDK's in-memory exporter). */
export function memoryMetrics() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    /** Collects now; the newest value of every metric, by name. */
    async collect(): Promise<Map<string, MetricData>> {
      exporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, MetricData>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The points of one metric as `{ attributes, value }`, attributes as a stable string. */
export function points(metric: MetricData | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const point of (metric?.dataPoints ?? []) as DataPoint<unknown>[]) out[JSON.stringify(point.attributes)] = point.value;
  return out;
}
