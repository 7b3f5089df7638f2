#!/usr/bin/env node
// Where a curve's point spends the server's CPU: runs one variant's server with --cpu-prof, the
// clients spread over `topics` topics (or broadcast when 0), a paced fan-out of `events` events of
// `bytes` bytes, and prints the functions with the most self time and their share of the samples.
//   node src/curve-profile.mjs ssekit-node --topics 1000 --clients 1000
//   node src/curve-profile.mjs baseline --topics 0 --clients 5000 --bytes 4096
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { destroyAll, openClients } from './load.mjs';
import { cpuPerDelivery, waitFor } from './measure.mjs';
import { startServer } from './process.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    topics: { type: 'string', default: '0' },
    clients: { type: 'string', default: '1000' },
    events: { type: 'string', default: '100' },
    bytes: { type: 'string', default: '100' },
    top: { type: 'string', default: '20' },
  },
});
const variant = positionals[0] ?? 'ssekit-node';
const topics = Number(values.topics);
const clients = Number(values.clients);
const dir = mkdtempSync(join(tmpdir(), 'ssekit-curve-profile-'));
const server = await startServer(variant, {
  pinned: false,
  fdLimit: 20000,
  brokerOptions: { ids: true },
  nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
});
const list = await openClients(server.port, clients, 250, (i) => (topics > 0 ? { path: `/?topic=t${i % topics}` } : {}));
await waitFor(async () => (await server.call('count')).count === clients, `${clients} clients admitted`);
const result = await cpuPerDelivery(server, list, {
  events: Number(values.events),
  rounds: 3,
  pad: Number(values.bytes) - 44,
  mode: 'paced',
  state: { seq: 0 },
  topics: topics > 0 ? topics : undefined,
});
destroyAll(list);
server.call('exit');
await waitFor(() => readdirSync(dir).some((f) => f.endsWith('.cpuprofile')), 'the profile written', 30_000);
await new Promise((resolve) => setTimeout(resolve, 500)); // the file is written in one go; let it finish
const profile = JSON.parse(
  readFileSync(
    join(
      dir,
      readdirSync(dir).find((f) => f.endsWith('.cpuprofile')),
    ),
    'utf8',
  ),
);
rmSync(dir, { recursive: true, force: true });

// Self samples per function (name and place), as a share of all samples.
const counts = new Map();
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
const byFunction = new Map();
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const place = url ? `${url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${place}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + (counts.get(node.id) ?? 0));
}
const total = profile.samples.length;
console.log(
  `${variant}, ${clients} clients, ${topics || 'no'} topics, ${values.bytes}-byte events: ${result.usPerEvent.toFixed(2)} µs CPU per delivered event, ${result.errors} errors, ${total} samples`,
);
for (const [key, n] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`);
}
process.exit();
