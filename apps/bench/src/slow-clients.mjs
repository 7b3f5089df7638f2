// The slow-client scenario: a few clients stop reading while large events go out. It checks that
// they cost no more memory than the byte cap allows, so the measurement is built to hold still
// around that figure.
import { destroyAll, latencies, percentile } from './load.mjs';
import { connect, waitFor } from './measure.mjs';
import { withServer } from './process.mjs';

// Sized so one load-generator process keeps up with the healthy clients while the slow ones' sockets
// back up past the kernel's buffers (about 10 MB each on loopback) and then past the byte cap.
// The cap is 1 MiB here, not the default 256 KiB: peak RSS wanders by up to 2 MB from one fresh
// process to the next, several default caps, so the bound is checked at a size noise decides less.
export const SLOW = { clients: 40, slowClients: 2, events: 1000, eventBytes: 16_384, interval: 2, cap: 1_048_576, pairs: 5 };

// A young generation left to size itself grows to 2 x 16 MB under this allocation rate, at a moment
// GC picks, which moved peak RSS by several MB between runs. Held at 1 MB it stays out of the figure.
const NODE_FLAGS = ['--max-semi-space-size=1'];

const median = (values) => percentile(values, 50);

async function slowRun(variant, withSlow, pinned) {
  const options = { pinned, nodeFlags: NODE_FLAGS, brokerOptions: { maxBufferedBytes: SLOW.cap } };
  return withServer(variant, options, async (server) => {
    const list = await connect(server, SLOW.clients);
    const slow = withSlow ? list.slice(0, SLOW.slowClients) : [];
    for (const c of slow) c.socket.pause();
    const others = list.slice(slow.length);
    for (const c of list) c.next = 0;
    await server.call('memory'); // start both runs from a collected heap
    await server.call('peak-rss-reset');
    const start = (await server.call('peak-rss')).peakRss;
    latencies.length = 0;
    for (const c of others) c.recordLatency = true;
    await server.call('publish', { events: SLOW.events, firstSeq: 0, pad: SLOW.eventBytes, mode: 'paced', interval: SLOW.interval });
    // A healthy client the server dropped (it fell behind the cap) is counted, not waited for.
    await waitFor(() => others.every((c) => c.next >= SLOW.events || c.closed), 'others received every event', 120_000);
    const { peakRss, peakAccounted } = await server.call('peak-rss');
    const remaining = (await server.call('count')).count;
    destroyAll(list);
    return {
      growth: peakRss - start,
      accounted: peakAccounted,
      p99: percentile(latencies, 99),
      othersErrors: others.reduce((sum, c) => sum + c.errors + (c.closed ? 1 : 0), 0),
      slowDropped: SLOW.clients - remaining,
    };
  });
}

/**
 * Runs `SLOW.pairs` pairs of fresh servers, one without slow clients and one with (in alternating
 * order, so drift on the machine falls on both), and reports medians: the extra peak RSS the slow
 * clients cost and the others' p99 with and without them.
 */
export async function slowScenario(variant, { pinned }) {
  const pairs = [];
  for (let i = 0; i < SLOW.pairs; i++) {
    const first = await slowRun(variant, i % 2 === 1, pinned);
    const second = await slowRun(variant, i % 2 === 0, pinned);
    pairs.push(i % 2 === 0 ? { without: first, withSlow: second } : { without: second, withSlow: first });
  }
  const summary = (key) => ({
    growth: median(pairs.map((p) => p[key].growth)),
    p99: median(pairs.map((p) => p[key].p99)),
  });
  return {
    cap: variant.startsWith('ssekit') ? SLOW.cap : 0,
    slowClients: SLOW.slowClients,
    extraPeakRss: median(pairs.map((p) => p.withSlow.growth - p.without.growth)),
    // What V8 sees (heap and ArrayBuffers): the bytes ssekit holds, without the native allocator's noise.
    extraPeakAccounted: median(pairs.map((p) => p.withSlow.accounted - p.without.accounted)),
    without: summary('without'),
    withSlow: summary('withSlow'),
    othersErrors: pairs.reduce((sum, p) => sum + p.withSlow.othersErrors, 0),
    slowDropped: Math.min(...pairs.map((p) => p.withSlow.slowDropped)),
    pairs,
  };
}
