// The server under test, in its own process (started with --expose-gc). The runner drives it over
// IPC: publish paced or in one burst, read CPU time and memory, exit.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';

const variant = process.argv[2];
const { create } = await import(`./variants/${variant}.mjs`);
const target = await create(JSON.parse(process.argv[3] ?? '{}'));
await new Promise((resolve) => target.server.listen(0, '127.0.0.1', resolve));
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
// Peak RSS, and the peak of what V8 accounts for (heap plus ArrayBuffers), sampled every 20 ms.
let peakRss = process.memoryUsage.rss();
let peakAccounted = 0;
const rssSampler = setInterval(() => {
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  peakRss = Math.max(peakRss, rss);
  peakAccounted = Math.max(peakAccounted, heapUsed + arrayBuffers);
}, 20);
rssSampler.unref();

const now = () => performance.timeOrigin + performance.now();
const payload = (seq, pad) => `{"s":${seq},"t":${now().toFixed(3)},"p":"${'x'.repeat(pad)}"}`;

/** Names of the topics `t0` … `t<count - 1>`, made once per count. */
const topicNames = new Map();
function publishToTopics(seq, pad, count) {
  let names = topicNames.get(count);
  if (!names) {
    names = Array.from({ length: count }, (_, i) => `t${i}`);
    topicNames.set(count, names);
  }
  const data = payload(seq, pad);
  for (const name of names) target.publish(data, seq, name);
}

async function settleMemory() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await sleep(30);
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

const handlers = {
  count: () => ({ count: target.count() }),
  cpu: () => ({ cpu: process.cpuUsage() }),
  memory: settleMemory,
  'peak-rss-reset': () => {
    peakRss = process.memoryUsage.rss();
    peakAccounted = 0;
    loopDelay.reset();
    return {};
  },
  'peak-rss': () => ({ peakRss, peakAccounted, loopDelayP99: loopDelay.percentile(99) / 1e6 }),
  // `topics` (a count): each event goes to every topic t0, t1, …, one publish each; without it,
  // one broadcast.
  async publish({ events, firstSeq, pad, mode, interval, topics }) {
    const send = topics === undefined ? (seq) => target.publish(payload(seq, pad), seq) : (seq) => publishToTopics(seq, pad, topics);
    if (mode === 'burst') {
      for (let i = 0; i < events; i++) send(firstSeq + i);
      return {};
    }
    for (let i = 0; i < events; i++) {
      send(firstSeq + i);
      // Paced: one event per turn of the loop (interval 0) or per interval, as under real load.
      if (interval > 0) await sleep(interval);
      else await new Promise((resolve) => setImmediate(resolve));
    }
    return {};
  },
  async 'heap-snapshot'({ file }) {
    await settleMemory();
    writeHeapSnapshot(file);
    return {};
  },
  exit: () => process.exit(0),
};

process.on('message', async ({ id, type, ...args }) => {
  const result = await handlers[type](args);
  process.send({ id, ...result });
});
process.send({ id: 0, port: target.server.address().port });
