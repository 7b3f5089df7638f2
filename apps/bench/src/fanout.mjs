#!/usr/bin/env node
// Broadcast fan-out: server CPU per delivered event, ssekit beside a raw node:http baseline,
// measured in one run. Usage: pnpm bench [-- --clients 1000 --events 100 --pad 70 --rounds 3]
import { execFileSync, fork } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openClients } from './load.mjs';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    events: { type: 'string', default: '100' },
    pad: { type: 'string', default: '70' },
    rounds: { type: 'string', default: '3' },
    variants: { type: 'string', default: 'baseline,core' },
  },
});
const clients = Number(values.clients);
const events = Number(values.events);
const pad = Number(values.pad);
const rounds = Number(values.rounds);
const variants = values.variants.split(',');

const cores = os.availableParallelism();
const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return cores > 1;
  } catch {
    return false;
  }
})();
// Load generator on core 1, server on core 0, so they do not steal each other's time.
if (hasTaskset) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

function request(child, message, reply) {
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (m.type === reply) {
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

async function waitFor(condition, what, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function measure(variant) {
  const child = fork(new URL('./server.mjs', import.meta.url), [variant], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  if (hasTaskset) execFileSync('taskset', ['-p', '-c', '0', String(child.pid)], { stdio: 'ignore' });
  const sockets = await openClients(port, clients);
  await waitFor(async () => (await request(child, { type: 'count' }, 'count')).count === clients, 'all clients admitted');
  let seq = 0;
  const perEvent = [];
  for (let round = 0; round <= rounds; round++) {
    const expected = seq + events;
    const { cpu: start } = await request(child, { type: 'cpu-now' }, 'cpu-now');
    await request(child, { type: 'publish', events, firstSeq: seq, pad }, 'published');
    await waitFor(() => sockets.every((s) => s.received >= expected), 'every event delivered');
    const { cpu } = await request(child, { type: 'cpu-since', start }, 'cpu');
    seq = expected;
    if (round > 0) perEvent.push((cpu.user + cpu.system) / (events * clients)); // round 0 warms up
  }
  const errors = sockets.reduce((sum, s) => sum + s.errors, 0);
  for (const s of sockets) s.socket.destroy();
  child.send({ type: 'exit' });
  perEvent.sort((a, b) => a - b);
  return { variant, usPerEvent: perEvent[Math.floor(perEvent.length / 2)], errors };
}

const results = [];
for (const variant of variants) results.push(await measure(variant));
const baseline = results.find((r) => r.variant === 'baseline');
console.log(`\nBroadcast fan-out: ${clients} clients, ${events} events x ${rounds} rounds, ~${pad + 30}-byte events`);
console.log(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${cores}, taskset ${hasTaskset ? 'on' : 'off'}\n`);
console.log('| variant | server CPU µs / delivered event | ratio to baseline | sequence errors |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of results) {
  const ratio = baseline ? (r.usPerEvent / baseline.usPerEvent).toFixed(2) : '-';
  console.log(`| ${r.variant} | ${r.usPerEvent.toFixed(2)} | ${ratio}x | ${r.errors} |`);
}
if (results.some((r) => r.errors > 0)) process.exitCode = 1;
