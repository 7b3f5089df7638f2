import { type Broker, isSseError } from '@ssekit/core';
import type { ReceivedEvent } from '@ssekit/test-utils';
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
