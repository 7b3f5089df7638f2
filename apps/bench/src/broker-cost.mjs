#!/usr/bin/env node
// The broker's own CPU, without sockets: what a publish costs (no subscriber), and what one
// delivery costs on a sink that writes nowhere. Everything else in a fan-out is the Node sink and
// the kernel's `write`, which `curve-profile.mjs` shows. One process; medians of 5 rounds.
//   node src/broker-cost.mjs                      publish cost on 1 and 1,000 topics, delivery cost at 5,000 streams
//   node src/broker-cost.mjs --streams 1000 --topics 10000
import { parseArgs } from 'node:util';
import { createBroker } from '@ssekit/core';

const { values } = parseArgs({
  options: { streams: { type: 'string', default: '5000' }, topics: { type: 'string', default: '1,1000' } },
});
const data = `{"s":1,"t":1733480000000.123,"p":"${'x'.repeat(56)}"}`;
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A sink that takes every chunk and writes it nowhere. */
class NullSink {
  bufferedBytes = 0;
  closed = false;
  write() {
    return true;
  }
  onDrain() {
    return () => {};
  }
  onClose() {}
  end() {
    this.closed = true;
  }
  abort() {
    this.closed = true;
  }
}

for (const topics of values.topics.split(',').map(Number)) {
  const broker = createBroker({ heartbeatInterval: 0 });
  const names = Array.from({ length: topics }, (_, i) => `t${i}`);
  const samples = [];
  for (let round = 0; round < 6; round++) {
    const count = 100_000;
    const before = cpu();
    for (let i = 0; i < count; i++) void broker.publish(names[i % topics], { event: 'tick', data });
    await turn();
    if (round > 0) samples.push((cpu() - before) / count);
  }
  console.log(`publish, no subscriber, ${topics} topic(s): ${median(samples).toFixed(2)} µs`);
  await broker.close();
}

const streams = Number(values.streams);
const broker = createBroker({ heartbeatInterval: 0 });
const request = { url: '/', method: 'GET', header: (name) => (name === 'accept' ? 'text/event-stream' : undefined) };
for (let i = 0; i < streams; i++) await broker.stream(request, {}, () => new NullSink());
const samples = [];
for (let round = 0; round < 6; round++) {
  const events = 100;
  const before = cpu();
  for (let i = 0; i < events; i++) {
    void broker.broadcast({ event: 'tick', data });
    await turn();
  }
  if (round > 0) samples.push(((cpu() - before) * 1000) / (events * streams));
}
console.log(`delivery to ${streams} streams on a null sink, one event per turn: ${median(samples).toFixed(0)} ns per delivery`);
await broker.close();
process.exit(0);
