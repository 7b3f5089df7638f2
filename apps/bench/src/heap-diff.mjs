#!/usr/bin/env node
// Where a variant's idle connections spend heap, by V8 object type, beside another variant's:
//   node src/heap-diff.mjs ssekit-express ssekit-node [clients]
// Each variant's server runs in its own process; a heap snapshot is taken after GC before and after
// `clients` idle streams connect, and the per-connection growth of every (type, name) is printed.
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { destroyAll } from './load.mjs';
import { connect } from './measure.mjs';
import { withServer } from './process.mjs';

const [a, b, count = '2000'] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node src/heap-diff.mjs <variant> <other variant> [clients]');
  process.exit(2);
}
const clients = Number(count);

/** Bytes per (type, name) in a snapshot file. Strings and code are folded into one row each. */
async function sizesByKind(file) {
  const snapshot = JSON.parse(await readFile(file, 'utf8'));
  const {
    node_fields: fields,
    node_types: [types],
  } = snapshot.snapshot.meta;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sizes = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]];
    const name = /string|code/.test(type) ? '' : snapshot.strings[snapshot.nodes[i + nameAt]].slice(0, 50);
    const kind = `${type} ${name}`.trim();
    sizes.set(kind, (sizes.get(kind) ?? 0) + snapshot.nodes[i + sizeAt]);
  }
  return sizes;
}

async function perConnection(variant) {
  return withServer(variant, { pinned: false }, async (server) => {
    const before = path.join(os.tmpdir(), `${variant}-before.heapsnapshot`);
    const after = path.join(os.tmpdir(), `${variant}-after.heapsnapshot`);
    await server.call('heap-snapshot', { file: before });
    const list = await connect(server, clients);
    await server.call('heap-snapshot', { file: after });
    destroyAll(list);
    const [start, end] = [await sizesByKind(before), await sizesByKind(after)];
    await Promise.all([rm(before), rm(after)]);
    return new Map([...end].map(([kind, size]) => [kind, (size - (start.get(kind) ?? 0)) / clients]));
  });
}

const [first, second] = [await perConnection(a), await perConnection(b)];
const kinds = [...new Set([...first.keys(), ...second.keys()])];
const rows = kinds.map((kind) => ({ kind, a: first.get(kind) ?? 0, b: second.get(kind) ?? 0 })).sort((x, y) => y.a - y.b - (x.a - x.b));
const total = (m) => [...m.values()].reduce((sum, v) => sum + v, 0);
console.log(`bytes of heap per idle connection, ${clients} clients\n`);
console.log(`| V8 type and name | ${a} | ${b} | difference |\n| --- | ---: | ---: | ---: |`);
for (const r of rows.filter((r) => Math.abs(r.a - r.b) >= 16)) {
  console.log(`| ${r.kind} | ${r.a.toFixed(0)} | ${r.b.toFixed(0)} | ${(r.a - r.b).toFixed(0)} |`);
}
console.log(`| total | ${total(first).toFixed(0)} | ${total(second).toFixed(0)} | ${(total(first) - total(second)).toFixed(0)} |`);
process.exit();
