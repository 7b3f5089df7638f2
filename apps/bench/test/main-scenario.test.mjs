// The main scenario against real servers: references up throughout, a variant's rounds between
// theirs, paired ratios in the results, and the budgets and the table reading those ratios.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkBudgets } from '../src/budgets.mjs';
import { toJson } from '../src/docs.mjs';
import { runMain } from '../src/main-scenario.mjs';
import { ratioTo } from '../src/paired.mjs';
import { markdown } from '../src/report.mjs';

it('measures each variant in rounds beside the references and reports paired ratios', async () => {
  const logged = [];
  const main = await runMain({
    variants: ['baseline', 'floor', 'ssekit-node'],
    references: ['baseline', 'floor'],
    clients: 60,
    roundsOf: () => 3,
    burstRounds: 2,
    events: 10,
    burstEvents: 20,
    pad: 8,
    latency: { rate: 40, seconds: 0.5 },
    pinned: false,
    log: (message) => logged.push(message),
  });
  assert.deepEqual(Object.keys(main), ['baseline', 'floor', 'ssekit-node'], 'references first, then the variants');
  const core = main['ssekit-node'];
  for (const reference of ['baseline', 'floor']) {
    assert.ok(core.fanout.vs[reference] > 0 && Number.isFinite(core.fanout.vs[reference]), `a fan-out ratio to ${reference}`);
  }
  assert.ok(core.burst.vs.baseline > 0, 'a burst ratio to the baseline');
  assert.ok(core.latency.vs.baseline > 0, 'a paced p99 ratio to the baseline');
  assert.equal(core.burst.vs.floor, undefined, 'the floor is paired on fan-out only');
  for (const [variant, r] of Object.entries(main)) {
    assert.equal(r.fanout.errors, 0, `${variant}: every event once and in order`);
    assert.ok(r.fanout.usPerEvent > 0 && r.burst.usPerEvent > 0 && r.latency.p99 > 0, `${variant}: figures measured`);
    assert.ok(r.memory.heapPerConnection !== undefined, `${variant}: idle memory measured`);
  }
  assert.ok(logged.some((line) => line.includes('reference')));
  // Stored as Biome formats it (CI checks docs/*.json): each round's ratios on one line, even 12 of them.
  const twelve = { ...core, fanout: { ...core.fanout, rounds: { floor: Array(12).fill(core.fanout.rounds.floor[0]) } } };
  assert.ok(
    core.fanout.rounds.floor.every((v) => Number(v.toFixed(4)) === v),
    'ratios kept to 4 decimals',
  );
  assert.match(toJson({ twelve }), /"floor": \[[\d., ]+\]/);

  // Budgets and the table take the paired ratio, not the ratio of the medians.
  const skewed = { ...main, floor: { ...main.floor, fanout: { ...main.floor.fanout, usPerEvent: 1e9 } } };
  const floorBudget = checkBudgets({ main: skewed }).find((b) => b.name === 'ssekit-node: CPU per delivered event / floor');
  assert.equal(floorBudget.actual, core.fanout.vs.floor);
  assert.equal(ratioTo(core, 'fanout', 'floor', skewed.floor), core.fanout.vs.floor);
  assert.equal(ratioTo(main.floor, 'fanout', 'baseline', main.baseline), main.floor.fanout.usPerEvent / main.baseline.fanout.usPerEvent);
  const table = markdown({ main }, [], { clients: 60, events: 10, eventBytes: 100, rounds: 3, burstRounds: 2 });
  assert.match(
    table,
    new RegExp(`\\| ssekit-node \\| ${core.fanout.usPerEvent.toFixed(2)} \\| ${core.fanout.vs.baseline.toFixed(2)}x \\|`),
  );
});
