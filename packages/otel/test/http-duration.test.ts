/**
 * What the README claims: with `isEventStreamRequest` as `@opentelemetry/instrumentation-http`'s
 * `ignoreIncomingRequestHook`, event streams stay out of `http.server.request.duration` while
 * other requests (and a stream requested without the header) are still measured.
 */
import { createRequire } from 'node:module';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { openSse } from '@ssekit/test-utils';
import { afterAll, expect, it } from 'vitest';
import { createSseMetrics, isEventStreamRequest } from '../src/index.js';
import { memoryMetrics, points, serve } from './helpers/server.js';

const metrics = memoryMetrics();
const instrumentation = new HttpInstrumentation({ ignoreIncomingRequestHook: isEventStreamRequest });
instrumentation.setMeterProvider(metrics.provider);
instrumentation.enable();
// Instrumentation patches `http` as it is required: load it after enable().
const http = createRequire(import.meta.url)('http') as typeof import('node:http');
const bridge = createSseMetrics({ meterProvider: metrics.provider });

afterAll(async () => {
  bridge.close();
  instrumentation.disable();
  await metrics.shutdown();
});

const requestCount = (histogram: unknown) =>
  Object.values(points(histogram as never)).reduce<number>((sum, point) => sum + (point as Histogram).count, 0);

it('keeps event streams out of http.server.request.duration; their lifetime goes to ssekit.stream.lifetime', async () => {
  const server = await serve({}, http.createServer());
  try {
    const health = await fetch(`${server.url}/health`);
    expect(await health.text()).toBe('ok');
    // Two streams the server ends after one event: one asks for text/event-stream, one asks for nothing.
    const asked = await openSse(`${server.url}/events?close=1`);
    await asked.done;
    const plain = await openSse(`${server.url}/events?close=1`, { headers: { accept: '*/*' } });
    await plain.done;
    expect(asked.events.map((e) => e.data)).toEqual(['bye']);
    expect(plain.events.map((e) => e.data)).toEqual(['bye']);

    const seen = await metrics.collect();
    // The health check and the stream without the header; not the one that asked for an event stream.
    expect(requestCount(seen.get('http.server.request.duration'))).toBe(2);
    expect(requestCount(seen.get('ssekit.stream.lifetime'))).toBe(2);
  } finally {
    await server.close();
  }
});
