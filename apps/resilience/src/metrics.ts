/**
 * What the suite measures in a process: heap after a full collection, live handles by type,
 * listener counts, event-loop delay. Needs `--expose-gc` (vitest.config.ts and the server
 * children pass it).
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Runs full collections until the heap settles, then returns `heapUsed` in bytes. */
export async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('Run with --expose-gc: the heap cannot be measured without it.');
  let last = Number.POSITIVE_INFINITY;
  // A few rounds with turns of the event loop in between: finalizers and closed sockets need them.
  for (let round = 0; round < 6; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const used = process.memoryUsage().heapUsed;
    if (Math.abs(last - used) < 64 * 1024) return used;
    last = used;
  }
  return process.memoryUsage().heapUsed;
}

/** Live resources by type (`TCPSocketWrap`, `Timeout`, …), from `process.getActiveResourcesInfo()`. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Total of {@link activeResources}. */
export function activeResourceCount(): number {
  return process.getActiveResourcesInfo().length;
}

/** Listener counts of every event of every emitter given, keyed `name.event`. */
export function listenerCounts(emitters: Record<string, NodeJS.EventEmitter>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [name, emitter] of Object.entries(emitters)) {
    for (const event of emitter.eventNames()) counts[`${name}.${String(event)}`] = emitter.listenerCount(event);
  }
  return counts;
}

/** Event-loop delay percentiles in milliseconds. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Starts recording event-loop delay (10 ms resolution). */
export function loopDelayMonitor(): { read(): LoopDelay; reset(): void; pause(): void; resume(): void; stop(): void } {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const toMs = (ns: number) => ns / 1e6;
  return {
    read: () => ({ p50: toMs(histogram.percentile(50)), p99: toMs(histogram.percentile(99)), max: toMs(histogram.max) }),
    reset: () => histogram.reset(),
    // Around forced collections, which would otherwise count as event-loop delay.
    pause: () => histogram.disable(),
    resume: () => histogram.enable(),
    stop: () => histogram.disable(),
  };
}

/** The value at percentile `p` (0–100) of `values` (nearest rank), 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until it holds; rejects with `message` after `timeout` ms. */
export async function until(condition: () => boolean | Promise<boolean>, message: string, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms: ${message}`);
    await sleep(10);
  }
}
