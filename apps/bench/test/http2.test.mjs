// The HTTP/2 dimension's parts against real servers: each h2 variant (TLS, self-signed) and
// plain Express serve a few clients through the bench's own load generator, every event checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { destroyAll } from '../src/load.mjs';
import { STREAMS_PER_SESSION } from '../src/load-h2.mjs';
import { connect, cpuPerDelivery } from '../src/measure.mjs';
import { startServer } from '../src/process.mjs';
import { certificate } from '../src/tls.mjs';

const CLIENTS = 150; // HTTP/2: two sessions at 100 streams a session
const EVENTS = 40;

before(() => certificate());

for (const variant of ['h2-baseline', 'h2-compat', 'h2-ssekit-node', 'h2-ssekit-fastify', 'plain-express']) {
  describe(variant, () => {
    let server;
    after(() => server?.stop());

    it('delivers every event of a fan-out and a burst, in order, to every client', async () => {
      server = await startServer(variant, { pinned: false });
      assert.equal(server.protocol, variant.startsWith('h2-') ? 'h2' : 'h1');
      const clients = await connect(server, CLIENTS);
      const state = { seq: 0 };
      for (const mode of ['paced', 'burst']) {
        const result = await cpuPerDelivery(server, clients, { events: EVENTS, rounds: 1, pad: 8, mode, state });
        assert.equal(result.errors, 0);
        assert.ok(result.usPerEvent > 0, 'CPU time was measured');
      }
      for (const c of clients) assert.equal(c.received, 4 * EVENTS, 'each client got the warm-up and measured rounds of both modes');
      if (server.protocol === 'h2') {
        assert.equal(new Set(clients.map((c) => c.session)).size, Math.ceil(CLIENTS / STREAMS_PER_SESSION), 'streams share sessions');
      }
      destroyAll(clients);
    });
  });
}
