#!/usr/bin/env node
/**
 * Plants each named mutation (a small, plausible bug) in `src/`, runs the owning package's test
 * suite, restores the file, and reports which mutations no test caught. Run outside CI, after
 * `pnpm install` and `pnpm build`:
 *
 *   node scripts/mutants.mjs                 # every mutation
 *   node scripts/mutants.mjs unsubscribe-noop encode-cr-event-name   # some, by name
 *   node scripts/mutants.mjs --list
 *
 * Suites that import their package from `src` (core, client, redis) need no build; a mutation whose
 * suite reads a built package (`build: true`) rebuilds it before the run and after the restore.
 * The suite stops at its first failure (`--bail=1`): a caught mutation costs little.
 * Exits 1 when a mutation survives or a search text no longer matches (the list needs care).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** name, file (from the repo root), search text (must occur once), replacement, package dir, build. */
const MUTATIONS = [
  {
    // The history index forgets events moved aside from a sparse array: old ids of quiet channels stop matching.
    name: 'history-index-aside-ignored',
    file: 'packages/core/src/history-index.ts',
    search: '    const event = this.slots[position - this.base] ?? this.aside.get(position);',
    replace: '    const event = this.slots[position - this.base];',
    pkg: 'packages/core',
  },
  {
    // A delivery written at once ignores what the socket already holds: the byte cap no longer bounds it.
    name: 'write-at-once-ignores-buffered',
    file: 'packages/core/src/stream.ts',
    search: '    if (this.bufferedBytes() > 0) return false;',
    replace: '',
    pkg: 'packages/core',
  },
  {
    // A publish from inside a fan-out (a close hook) is delivered at once: it overtakes the event being fanned out.
    name: 'fan-out-reentrant',
    file: 'packages/core/src/fan-out.ts',
    search: '    if (fanningOut) {',
    replace: '    if (fanningOut && later.length < 0) {',
    pkg: 'packages/core',
  },
  {
    // A sink that throws breaks the fan-out again: the subscribers after it miss the event.
    name: 'sink-failure-rethrown',
    file: 'packages/core/src/stream.ts',
    search: "    if (!ending) this.reason = 'error';\n",
    replace: "    if (!ending) this.reason = 'error';\n    throw error;\n",
    pkg: 'packages/core',
  },
  {
    // Every delivery of a tick written at once: a burst is one write per event.
    name: 'write-at-once-every-delivery',
    file: 'packages/core/src/write-scheduler.ts',
    search: '      stream.writeTick = this.tick;',
    replace: '',
    pkg: 'packages/core',
  },
  {
    // A transport's batch hint ignored: its first message is written apart.
    name: 'write-at-once-ignores-more',
    file: 'packages/core/src/write-scheduler.ts',
    search: '    if (!more && stream.pendingFirst === undefined',
    replace: '    if (stream.pendingFirst === undefined',
    pkg: 'packages/core',
  },
  {
    // No bound on the in-memory history across channels.
    name: 'history-max-events-ignored',
    file: 'packages/core/src/memory-transport.ts',
    search: '    if (maxEvents > 0) while (byId.size > maxEvents && evictOldest());',
    replace: '',
    pkg: 'packages/core',
  },
  {
    // On a Cluster, a publish made after a NOSCRIPT overtakes the refused ones sent again.
    name: 'cluster-noscript-gate-off',
    file: 'packages/redis/src/publish-script.ts',
    search: '  if (reloads.has(client)) return;',
    replace: '  if (reloads.has(client) || isCluster(client)) return;',
    pkg: 'packages/redis',
  },
  {
    // A stream's own sends written per microtask: a piped token generator makes a write per token.
    name: 'own-sends-flushed-per-microtask',
    file: 'packages/core/src/write-scheduler.ts',
    search: '      this.nextTick(this.flushLater);',
    replace: '      queueMicrotask(this.flushLater);',
    pkg: 'packages/core',
  },
  {
    // Queued own sends never push back: a producer that never yields queues without bound.
    name: 'pending-limit-ignored',
    file: 'packages/core/src/stream.ts',
    search: '&& this.pendingBytes < PENDING_LIMIT',
    replace: '',
    pkg: 'packages/core',
  },
  {
    // A resumable reader that does not wait for its socket: a stream read all at once.
    name: 'resumable-reader-unpaced',
    file: 'packages/core/src/resumable/reader.ts',
    search: 'if (!stream.writable) await stream.drained();',
    replace: '',
    pkg: 'packages/core',
  },
  {
    // Another client's resume admitted: a stream id is not a secret.
    name: 'resumable-owner-unchecked',
    file: 'packages/core/src/resumable/resumables.ts',
    search: 'if (!first || (first.owner !== undefined && first.owner !== clientId)) throw',
    replace: 'if (!first) throw',
    pkg: 'packages/core',
  },
  {
    // A stop that waits for the source's next item: readers of a thinking model never end.
    name: 'resumable-stop-ignored',
    file: 'packages/core/src/resumable/producer.ts',
    search: "const removeStopListener = store.onStop(id, () => stop('stopped'));",
    replace: 'const removeStopListener = store.onStop(id, () => {});',
    pkg: 'packages/core',
  },
  {
    name: 'unsubscribe-noop',
    file: 'packages/core/src/channels.ts',
    search: 'stream.channels.splice(at, 1);',
    replace: 'return;',
    pkg: 'packages/core',
  },
  {
    name: 'node-sink-ignores-backpressure',
    file: 'packages/core/src/node/node-sink.ts',
    search: 'if (socket) return socket.writable && writeChunk(socket, chunk);',
    replace: 'if (socket) { writeChunk(socket, chunk); return socket.writable; }',
    pkg: 'packages/core',
  },
  {
    name: 'byte-cap-no-empty-socket-exemption',
    file: 'packages/core/src/stream.ts',
    search: 'if (buffered > 0 && buffered + chunk.byteLength > this.host.maxBufferedBytes) {',
    replace: 'if (buffered + chunk.byteLength > this.host.maxBufferedBytes) {',
    pkg: 'packages/core',
  },
  {
    name: 'byte-cap-never-drops',
    file: 'packages/core/src/stream.ts',
    search: 'if (buffered > 0 && buffered + chunk.byteLength > this.host.maxBufferedBytes) {',
    replace: 'if (false && buffered > 0) {',
    pkg: 'packages/core',
  },
  {
    // Live events held while the replay was read, and also in the replay: must be written once.
    name: 'seam-dedup-off-in-backlog',
    file: 'packages/core/src/backlog.ts',
    search: 'const old = replayed.has(message.id) || atOrBeforeFloor(message, through);',
    replace: 'const old = false;',
    pkg: 'packages/core',
  },
  {
    // Live events the transport delivers after the replay that already had them.
    name: 'seam-dedup-off-late-deliveries',
    file: 'packages/core/src/fan-out.ts',
    search: 'if (position <= floor) return;',
    replace: '',
    pkg: 'packages/core',
  },
  {
    name: 'encode-cr-in-event-name',
    file: 'packages/core/src/encode.ts',
    search: "if (typeof name !== 'string' || /[\\r\\n]/.test(name)) {",
    replace: "if (typeof name !== 'string' || /[\\n]/.test(name)) {",
    pkg: 'packages/core',
  },
  {
    name: 'encode-id-0-dropped',
    file: 'packages/core/src/encode.ts',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text to find, with its template literal
    search: 'if (event.id !== undefined) out += `id: ${checkId(event.id)}\\n`;',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text to find, with its template literal
    replace: 'if (event.id) out += `id: ${checkId(event.id)}\\n`;',
    pkg: 'packages/core',
  },
  {
    name: 'encode-data-split-on-lf-only',
    file: 'packages/core/src/encode.ts',
    search: ': text.split(LINE_BREAK);',
    replace: ": text.split('\\n');",
    pkg: 'packages/core',
  },
  {
    name: 'authorize-topic-ignored',
    file: 'packages/core/src/admission.ts',
    search: 'if (authorizeTopic) {',
    replace: 'if (authorizeTopic && false) {',
    pkg: 'packages/core',
  },
  {
    name: 'per-client-limit-ignored',
    file: 'packages/core/src/capacity.ts',
    search: 'if (clientId !== undefined && this.countPerClient && ',
    replace: 'if (false && clientId !== undefined && this.countPerClient && ',
    pkg: 'packages/core',
  },
  {
    name: 'heartbeat-on-busy-streams',
    file: 'packages/core/src/heartbeat.ts',
    search: 'if (++stream.idleTicks >= 2 && !stream.backlog) {',
    replace: 'if (!stream.backlog) {',
    pkg: 'packages/core',
  },
  {
    name: 'heartbeat-every-other-interval',
    file: 'packages/core/src/heartbeat.ts',
    search: 'if (++stream.idleTicks >= 2 && !stream.backlog) {',
    replace: 'if (++stream.idleTicks >= 4 && !stream.backlog) {',
    pkg: 'packages/core',
  },
  {
    name: 'close-unresponsive-ignored',
    file: 'packages/core/src/heartbeat.ts',
    search: 'if (closeUnresponsive && stream.peerUnresponsive()) {',
    replace: 'if (false && closeUnresponsive) {',
    pkg: 'packages/core',
  },
  {
    name: 'drained-resolves-at-once',
    file: 'packages/core/src/stream.ts',
    search: 'if (this.writable || this.reason !== undefined) return Promise.resolve();',
    replace: 'return Promise.resolve();',
    pkg: 'packages/core',
  },
  {
    name: 'pipe-ignores-drain',
    file: 'packages/core/src/pipe.ts',
    search: 'if (!connection.send(map(step.value))) await connection.drained();',
    replace: 'connection.send(map(step.value));',
    pkg: 'packages/core',
  },
  {
    name: 'close-skips-flush',
    file: 'packages/core/src/stream.ts',
    search: '    this.host.flush(this);\n    if (this.reason !== undefined) return;',
    replace: '    if (this.reason !== undefined) return;',
    pkg: 'packages/core',
  },
  {
    name: 'close-server-never-forces',
    file: 'packages/core/src/node/close-server.ts',
    search: 'const force = setTimeout(() => server.closeAllConnections?.(), options.grace ?? 1_000);',
    replace: 'const force = setTimeout(() => {}, options.grace ?? 1_000);',
    pkg: 'packages/core',
  },
  {
    name: 'client-no-last-event-id',
    file: 'packages/client/src/client.ts',
    search: "if (lastEventId) headers.set('last-event-id', utf8Bytes(lastEventId));",
    replace: 'void utf8Bytes;',
    pkg: 'packages/client',
  },
  {
    name: 'client-ignores-retry-after',
    file: 'packages/client/src/client.ts',
    search: 'if (result.retryAfter !== undefined) delay = Math.max(delay, result.retryAfter);',
    replace: '',
    pkg: 'packages/client',
  },
  {
    name: 'redis-replay-inclusive',
    file: 'packages/redis/src/replay.ts',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text to find, with its template literal
    search: ".xrange(streamKey, `(${fromId}`, '+', 'COUNT', readCount)",
    replace: ".xrange(streamKey, fromId, '+', 'COUNT', readCount)",
    pkg: 'packages/redis',
  },
  {
    name: 'lane-floor-ignored',
    file: 'packages/core/src/floor.ts',
    search: 'return laneFloor !== undefined && position <= laneFloor;',
    replace: 'return false;',
    pkg: 'packages/core',
  },
  {
    name: 'redis-shard-lane-missing',
    file: 'packages/redis/src/shard-readers.ts',
    search: 'position: message.position, lane: k }',
    replace: 'position: message.position }',
    pkg: 'packages/redis',
  },
  {
    name: 'redis-shard-ready-not-awaited',
    file: 'packages/redis/src/shard-readers.ts',
    search: 'await Promise.all(loops.map((loop) => loop?.started(timeout)));',
    replace: 'void loops;',
    pkg: 'packages/redis',
  },
  {
    name: 'redis-shard-uncovered-no-gap',
    file: 'packages/redis/src/sharded-transport.ts',
    search: "if (part === undefined || part.result.gap === 'unknown') gap = gap ?? 'unknown';",
    replace: "if (part?.result.gap === 'unknown') gap = gap ?? 'unknown';",
    pkg: 'packages/redis',
  },
  {
    name: 'redis-shard-idle-while-pinned',
    file: 'packages/redis/src/shard-readers.ts',
    search: 'if (this.closed || this.pinned || this.idleTimers[k]) return;',
    replace: 'if (this.closed || this.idleTimers[k]) return;',
    pkg: 'packages/redis',
  },
  {
    // Adapters' suites run against a built core (as users do): planted in core, rebuilt.
    name: 'headers-no-transform-dropped',
    file: 'packages/core/src/headers.ts',
    search: "'cache-control': 'no-cache, no-transform',",
    replace: "'cache-control': 'no-cache',",
    pkg: 'packages/express',
    build: true,
  },
];

function run(command, args, cwd) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, ms: Date.now() - started };
}

function build(pkg) {
  const name = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).name;
  // Through pnpm, so turbo finds the package manager it is pinned to.
  const result = run('npx', ['-y', 'pnpm@10.34.8', 'exec', 'turbo', 'run', 'build', `--filter=${name}`, '--output-logs=errors-only'], root);
  if (!result.ok) throw new Error(`build of ${name} failed:\n${result.output}`);
}

/** The names of the tests that failed, from vitest's summary lines. */
function failedTests(output) {
  const names = new Set();
  for (const match of output.matchAll(/^\s*(?:FAIL|×)\s+(.+?)(?:\s+\d+ms)?$/gm)) names.add(match[1].trim());
  return [...names].slice(0, 3);
}

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const m of MUTATIONS) console.log(`${m.name.padEnd(38)} ${m.file}`);
  process.exit(0);
}
const chosen = args.length ? MUTATIONS.filter((m) => args.includes(m.name)) : MUTATIONS;
const results = [];
for (const mutation of chosen) {
  const path = join(root, mutation.file);
  const original = readFileSync(path, 'utf8');
  const at = original.indexOf(mutation.search);
  if (at === -1 || original.indexOf(mutation.search, at + 1) !== -1) {
    results.push({ ...mutation, verdict: 'STALE', detail: 'search text not found exactly once' });
    console.log(`STALE     ${mutation.name}: search text not found exactly once in ${mutation.file}`);
    continue;
  }
  writeFileSync(path, original.slice(0, at) + mutation.replace + original.slice(at + mutation.search.length));
  let suite;
  try {
    if (mutation.build) build(mutation.pkg);
    suite = run('npx', ['vitest', 'run', '--bail=1', '--reporter=verbose'], join(root, mutation.pkg));
  } finally {
    writeFileSync(path, original);
    if (mutation.build) build(mutation.pkg);
  }
  const caughtBy = failedTests(suite.output);
  const verdict = suite.ok ? 'SURVIVED' : 'caught';
  results.push({ ...mutation, verdict, caughtBy, ms: suite.ms });
  console.log(`${verdict.padEnd(9)} ${mutation.name} (${mutation.pkg}, ${(suite.ms / 1000).toFixed(1)} s)`);
  for (const name of caughtBy) console.log(`          by ${name}`);
}
const survivors = results.filter((r) => r.verdict !== 'caught');
console.log(
  `\n${results.length - survivors.length}/${results.length} caught${survivors.length ? `; not caught: ${survivors.map((r) => r.name).join(', ')}` : ''}`,
);
process.exit(survivors.length ? 1 : 0);
