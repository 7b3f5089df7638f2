#!/usr/bin/env node
// Profiles one variant's server during the paced fan-out (or a burst): a `.cpuprofile` and a
// summary of the hottest functions by self time.
//   node src/profile-variant.mjs ssekit-express [--clients 5000] [--mode paced|burst] [--dir /tmp/prof]
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { destroyAll } from './load.mjs';
import { connect, cpuPerDelivery } from './measure.mjs';
import { startServer } from './process.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string', default: '5000' },
    mode: { type: 'string', default: 'paced' },
    dir: { type: 'string', default: '/tmp/ssekit-profile' },
    rounds: { type: 'string', default: '5' },
    top: { type: 'string', default: '25' },
  },
});
const variant = positionals[0] ?? 'ssekit-node';
const dir = `${values.dir}/${variant}-${Date.now()}`;
mkdirSync(dir, { recursive: true });
const server = await startServer(variant, { pinned: false, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
const clients = await connect(server, Number(values.clients));
const result = await cpuPerDelivery(server, clients, {
  events: 100,
  rounds: Number(values.rounds),
  pad: 56,
  mode: values.mode,
  state: { seq: 0 },
});
destroyAll(clients);
void server.call('exit'); // answers by exiting: the profile is written then
let file;
for (let waited = 0; !file && waited < 100; waited++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
}
await new Promise((resolve) => setTimeout(resolve, 300)); // written in full
const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const ticks = new Map();
for (let i = 0; i < profile.samples.length; i++) ticks.set(profile.samples[i], (ticks.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
let total = 0;
for (const [id, t] of ticks) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  if (functionName === '(idle)' || functionName === '(program)') continue;
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + t);
  total += t;
}
console.log(`${variant}: ${result.usPerEvent.toFixed(2)} µs per delivered event (${values.mode}), profile ${dir}/${file}`);
for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}
process.exit(0);
