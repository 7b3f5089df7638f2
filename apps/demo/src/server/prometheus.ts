import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createSseMetrics } from '@ssekit/otel';

/** The `GET /metrics` answer, whatever the framework. */
export interface Scrape {
  readonly contentType: string;
  readonly body: string;
}

/** ssekit's metrics in Prometheus' text format, fed by `@ssekit/otel`. */
export interface PrometheusMetrics {
  scrape(): Promise<Scrape>;
  close(): Promise<void>;
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * An OpenTelemetry MeterProvider read by the Prometheus exporter, without its own HTTP server:
 * each framework serves `scrape()` on `GET /metrics`. The bridge records every broker of the
 * process (the diagnostics channels are process-wide).
 */
export function createPrometheusMetrics(): PrometheusMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const bridge = createSseMetrics({ meterProvider: provider });
  const serializer = new PrometheusSerializer();
  return {
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      return { contentType: CONTENT_TYPE, body: serializer.serialize(resourceMetrics) };
    },
    async close() {
      bridge.close();
      await provider.shutdown();
    },
  };
}
