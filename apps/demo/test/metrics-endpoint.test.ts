/**
 * `GET /metrics` on every framework: Prometheus text fed by `@ssekit/otel`, scraped through a real
 * server after a real client opened a stream, and again after it left. The stream's `http_route`
 * label is the one each adapter takes from its framework's route template.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server/start.js';
import { FRAMEWORKS } from '../src/shared/events.js';
import { publicDir } from './helpers/paths.js';

/** The value of the sample `name` whose labels include `labels`, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  const found = text.split('\n').find((line) => line.startsWith(`${name}{`) && wanted.every((pair) => line.includes(pair)));
  return found === undefined ? undefined : Number(found.slice(found.lastIndexOf('} ') + 2).split(' ')[0]);
}

/** A stream opened with node:http, read until its first tick. */
function openStream(url: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/api/events`, { headers: { accept: 'text/event-stream', authorization: 'Bearer ada' }, agent: false });
    request.on('error', reject);
    request.on('response', (response) => {
      expect(response.statusCode).toBe(200);
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes('event: tick')) resolve(request);
      });
    });
  });
}

async function scrapeUntil(url: string, ok: (text: string) => boolean, what: string): Promise<string> {
  let text = '';
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    text = await response.text();
    if (ok(text)) return text;
  }
  throw new Error(`/metrics never showed ${what}:\n${text}`);
}

describe.each(FRAMEWORKS)('GET /metrics on %s', (framework) => {
  let demo: RunningDemo;
  let url: string;
  beforeAll(async () => {
    demo = await startDemo({ framework, port: 0, publicDir });
    url = `http://127.0.0.1:${demo.port}`;
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('counts the open stream by route and its deliveries, then its lifetime once it closed', async () => {
    const stream = await openStream(url);
    const route = { http_route: '/api/events' };
    const open = (t: string) => sample(t, 'ssekit_streams_open', route);
    const live = await scrapeUntil(url, (t) => open(t) === 1 && (sample(t, 'ssekit_events_delivered_total') ?? 0) > 0, 'one open stream');
    expect(live).toContain('# TYPE ssekit_streams_open gauge');
    expect(sample(live, 'ssekit_events_published_total', { ssekit_publish_target: 'topic' })).toBeGreaterThan(0);

    stream.destroy();
    const lifetime = (t: string) => sample(t, 'ssekit_stream_lifetime_count', { ...route, ssekit_close_reason: 'client' });
    await scrapeUntil(url, (t) => open(t) === 0 && lifetime(t) === 1, 'the stream closed');
  });
});
