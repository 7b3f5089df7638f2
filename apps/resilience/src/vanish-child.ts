/**
 * Runs inside a private network namespace (`unshare -n`, see test/abrupt-disconnect.test.ts):
 * starts every adapter in a few configurations, connects one stream to each over the namespace's
 * own loopback, then takes the loopback down. From then on no packet moves, not even a FIN or an
 * RST: the clients have vanished, as when a cable is pulled or a phone leaves coverage. Prints
 * `RESULT <json>`: for each adapter and configuration, how long the server took to notice.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { createBroker } from '@ssekit/core';
import { ADAPTERS, type RunningApp, type ServerLimits, startApp } from './adapters.js';

interface Scenario {
  name: string;
  heartbeatInterval: number;
  /** The broker's `closeUnresponsive` (default true). */
  closeUnresponsive?: boolean;
  limits?: ServerLimits;
  /** Publish a 16 KiB event this often after the network goes (0: none). */
  eventEvery?: number;
}

const windowMs = Number(process.env.WINDOW_MS ?? 6_000);
const scenarios: Scenario[] = [
  { name: 'heartbeat 200 ms', heartbeatInterval: 200 },
  { name: 'heartbeat 1 s', heartbeatInterval: 1_000 },
  { name: 'heartbeat 200 ms, closeUnresponsive off (the kernel decides)', heartbeatInterval: 200, closeUnresponsive: false },
  { name: 'no heartbeat', heartbeatInterval: 0 },
  { name: 'heartbeat + 1.6 MB/s of events, maxBufferedBytes 64 KiB', heartbeatInterval: 200, eventEvery: 10 },
  ...(process.env.KEEPALIVE === '1'
    ? [
        {
          name: 'no heartbeat, TCP keepalive after 1 s idle',
          heartbeatInterval: 0,
          limits: { keepAlive: true, keepAliveInitialDelay: 1_000 },
        },
      ]
    : []),
];

interface Probe {
  adapter: string;
  scenario: Scenario;
  app: RunningApp;
  socket: net.Socket;
  detectedAt: number | undefined;
  reason: string | undefined;
}

const probes: Probe[] = [];
for (const adapter of ADAPTERS) {
  for (const scenario of scenarios) {
    const probe = { adapter, scenario, detectedAt: undefined, reason: undefined } as unknown as Probe;
    const broker = createBroker({
      heartbeatInterval: scenario.heartbeatInterval,
      closeUnresponsive: scenario.closeUnresponsive ?? true,
      maxBufferedBytes: 64 * 1024,
      closeTimeout: 200,
      onDisconnect: (_connection, reason) => {
        probe.detectedAt = performance.now();
        probe.reason = reason;
      },
    });
    probe.app = await startApp(adapter, { broker, ...(scenario.limits && { limits: scenario.limits }) });
    probe.socket = await new Promise<net.Socket>((resolve) => {
      const socket = net.connect(probe.app.port, '127.0.0.1');
      let head = '';
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
        if (head.includes('\r\n\r\n')) resolve(socket);
      });
      socket.write('GET /events?topic=t HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    });
    probes.push(probe);
  }
}
// Let the streams settle into their idle rhythm, then cut the network.
await new Promise((resolve) => setTimeout(resolve, 300));
execFileSync('ip', ['link', 'set', 'lo', 'down']);
const cut = performance.now();
const payload = 'x'.repeat(16 * 1024);
const publishers = probes
  .filter((p) => p.scenario.eventEvery)
  .map((p) =>
    setInterval(() => {
      if (p.detectedAt === undefined) void p.app.broker.publish('t', { data: payload }).catch(() => {});
    }, p.scenario.eventEvery),
  );
const deadline = cut + windowMs;
while (performance.now() < deadline && probes.some((p) => p.detectedAt === undefined)) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
for (const timer of publishers) clearInterval(timer);
const result: Record<string, Record<string, { after: number | null; reason: string | null }>> = {};
for (const probe of probes) {
  result[probe.adapter] ??= {};
  (result[probe.adapter] as Record<string, { after: number | null; reason: string | null }>)[probe.scenario.name] = {
    after: probe.detectedAt === undefined ? null : Math.round(probe.detectedAt - cut),
    reason: probe.reason ?? null,
  };
}
const retries2 = execFileSync('cat', ['/proc/sys/net/ipv4/tcp_retries2']).toString().trim();
process.stdout.write(`RESULT ${JSON.stringify({ tcpRetries2: Number(retries2), windowMs, result })}\n`);
// Everything here dies with the namespace; no need to close sockets to vanished peers gracefully.
process.exit(0);
