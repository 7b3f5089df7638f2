import { describe } from 'vitest';
import { fanOutTests } from './fan-out-tests.js';
import { createFixture } from './fixture.js';
import type { TransportHarness } from './harness.js';
import { outageTests } from './outage-tests.js';
import { seamTests } from './seam-tests.js';

/**
 * Registers the shared transport suite for one engine: fan-out across nodes, ids that replay on
 * any node, gaps for unknown and expired ids, order and positions at the replay seam, `ready()`,
 * `flush()`, publish outcomes while the backend is down, and the backend restarting mid-stream
 * with and without persistence. Each engine's test file calls it with its harness; the engine's
 * own details stay in its package's tests.
 */
export function runTransportSuite(harness: TransportHarness): void {
  describe(`${harness.name}: transport contract`, () => {
    const fixture = createFixture(harness);
    fanOutTests(fixture);
    seamTests(fixture);
    outageTests(fixture);
  });
}
