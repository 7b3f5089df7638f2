import { type Broker, isSseError, type Transport } from '@ssekit/core';
import { type ReceivedEvent, type RedisServer, redisCli, waitFor } from '@ssekit/test-utils';
import { expect } from 'vitest';

/** What became of one publish: resolved, rejected as certainly not stored, or outcome unknown. */
export type Outcome = 'ok' | 'not-stored' | 'unknown';

/**
 * Publishes `tick` events numbered 1, 2, 3… one after the other through `broker`, recording each
 * outcome, until `stop()`. The numbers are the publisher's own sequence, so a reader's view can be
 * checked against them whatever ids Redis gave.
 */
export class SequencePublisher {
  readonly outcomes = new Map<number, Outcome>();
  private next = 1;
  private stopping = false;
  private running: Promise<void> | undefined;

  constructor(private readonly broker: Broker) {}

  /** How many publishes resolved so far. */
  get accepted(): number {
    let count = 0;
    for (const outcome of this.outcomes.values()) if (outcome === 'ok') count++;
    return count;
  }

  /** Publishes one event and records its outcome. */
  async publishOne(): Promise<Outcome> {
    const n = this.next++;
    let outcome: Outcome;
    try {
      await this.broker.publish('feed', { event: 'tick', data: { n } });
      outcome = 'ok';
    } catch (error) {
      if (!isSseError(error)) throw error;
      // The transport's wording: "not stored" / "Nothing was sent" are certain, the rest is not.
      outcome = /not stored|Nothing was sent|was not published/.test(error.message) ? 'not-stored' : 'unknown';
    }
    this.outcomes.set(n, outcome);
    return outcome;
  }

  /** Publishes continuously (in the background) until {@link stop}. */
  start(): void {
    this.running ??= (async () => {
      while (!this.stopping) {
        // Paces retries while Redis refuses at once (a failover in progress).
        if ((await this.publishOne()) !== 'ok') await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}

/**
 * Checks one reader's events against the publisher's outcomes, up to its `end` event: tick
 * numbers strictly increase (no duplicate, in order); no publish that was certainly not stored is
 * delivered; and every accepted number the reader lacks is covered by an `ssekit:gap` that
 * arrived where it is missing (after the tick before it, before the tick after it). Returns the
 * numbers received and the gaps seen, for the test's own checks.
 */
export function checkReader(events: readonly ReceivedEvent[], outcomes: ReadonlyMap<number, Outcome>, label: string) {
  const received: number[] = [];
  let gaps = 0;
  let gapSinceLast = false;
  let last = 0;
  const end = events.findIndex((event) => event.event === 'end');
  expect(end, `${label}: the end marker`).toBeGreaterThanOrEqual(0);
  const missingAccepted = (from: number, to: number) => {
    const missing: number[] = [];
    for (let n = from + 1; n < to; n++) if (outcomes.get(n) === 'ok') missing.push(n);
    return missing;
  };
  for (const event of events.slice(0, end)) {
    if (event.event === 'ssekit:gap') {
      expect(JSON.parse(event.data).reason, `${label}: gap reason`).toBe('lost');
      gaps++;
      gapSinceLast = true;
      continue;
    }
    expect(event.event, `${label}: only ticks and gaps before the end`).toBe('tick');
    const n = (JSON.parse(event.data) as { n: number }).n;
    expect(n, `${label}: ${n} after ${last} (a duplicate or out of order)`).toBeGreaterThan(last);
    expect(outcomes.get(n), `${label}: ${n} was delivered though its publish said it was not stored`).not.toBe('not-stored');
    const missing = missingAccepted(last, n);
    if (missing.length > 0)
      expect(gapSinceLast, `${label}: accepted ${missing.join(', ')} missing between ${last} and ${n} without a gap`).toBe(true);
    received.push(n);
    last = n;
    gapSinceLast = false;
  }
  const highest = Math.max(0, ...outcomes.keys());
  const missingAtEnd = missingAccepted(last, highest + 1);
  if (missingAtEnd.length > 0)
    expect(gapSinceLast, `${label}: accepted ${missingAtEnd.join(', ')} missing at the end without a gap`).toBe(true);
  return { received, gaps };
}

/** What {@link laggingFailover} needs: transports on one stream, and a master to fail over. */
export interface LaggingFailover {
  /** A new transport on the test's stream (closed by the test file). */
  open(): Transport;
  readonly master: RedisServer;
  /** The replica that will be promoted. */
  readonly replica: RedisServer;
  /** Waits until `replica` is the master, and resolves to the new master. */
  failOver(): Promise<RedisServer>;
}

/**
 * A promoted replica that lacks the newest writes: two readers read events 1-10 from the master,
 * though the replica, cut off (it cannot authenticate again), only has 1-5. The master is killed
 * and the replica promoted: each reader must get a gap right after 10, then every event the new
 * master accepted, in order, once.
 */
export async function laggingFailover({ open, master, replica, failOver }: LaggingFailover): Promise<void> {
  const writer = open();
  const logs = [open(), open()].map((reader) => {
    const log: string[] = [];
    reader.subscribe({ message: (message) => log.push(message.frame.trim()), gap: () => log.push('GAP') });
    return { reader, log };
  });
  for (const { reader } of logs) await reader.ready?.();
  const frames = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `data: ${from + i}`);

  for (let n = 1; n <= 5; n++) await writer.publish(['a'], `data: ${n}\n\n`);
  await waitFor(() => logs.every(({ log }) => log.length === 5), 'the first events read');
  await redisCli(replica.port, 'CONFIG', 'SET', 'masterauth', 'not-the-password');
  await redisCli(master.port, 'CLIENT', 'KILL', 'TYPE', 'replica');
  for (let n = 6; n <= 10; n++) await writer.publish(['a'], `data: ${n}\n\n`);
  await waitFor(() => logs.every(({ log }) => log.length === 10), 'the events only the master has, read');

  await master.kill();
  await redisCli(replica.port, 'CONFIG', 'SET', 'masterauth', '');
  expect(await failOver()).toBe(replica);
  const outcomes = new Map<number, 'ok' | 'failed'>();
  for (let n = 11; [...outcomes.values()].filter((outcome) => outcome === 'ok').length < 3; n++) {
    const outcome = await Promise.resolve(writer.publish(['a'], `data: ${n}\n\n`)).then(
      () => 'ok' as const,
      () => 'failed' as const,
    );
    outcomes.set(n, outcome);
    // Paces retries while the clients find the new master.
    if (outcome === 'failed') await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const accepted = [...outcomes].filter(([, outcome]) => outcome === 'ok').map(([n]) => `data: ${n}`);
  await waitFor(() => logs.every(({ log }) => log.includes(accepted.at(-1) as string)), 'the events after the failover read', 10_000);
  for (const { log } of logs) {
    // Events 6-10 were delivered from the old master; the new one never had them: the gap
    // comes right after them, then what the new master took, in order, once.
    expect(log.slice(0, 11)).toEqual([...frames(1, 10), 'GAP']);
    const after = log.slice(11).map((frame) => Number(frame.slice(6)));
    expect(after).toEqual([...after].sort((a, b) => a - b));
    expect(new Set(after).size).toBe(after.length);
    expect(log.slice(11).filter((frame) => accepted.includes(frame))).toEqual(accepted);
  }
}
