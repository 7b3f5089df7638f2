#!/usr/bin/env node
// The token benchmark: what one delivered token of a streamed answer costs the server, written
// straight to `res`, through ssekit's `pipe()`, and as a resumable stream (ids, kept for resumes).
// C clients at a time each read an answer of T tokens, ROUNDS times; the server runs in its own
// process, whose CPU (user + system) is read over IPC around each round, and whose heap after full
// collections is read before and after (a resumable stream keeps its tokens for its TTL).
//
//   node apps/bench/src/tokens.mjs [--clients 200] [--tokens 500] [--rounds 5]
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { clients: { type: 'string' }, tokens: { type: 'string' }, rounds: { type: 'string' } } });
const CLIENTS = Number(values.clients ?? 200);
const TOKENS = Number(values.tokens ?? 500);
const ROUNDS = Number(values.rounds ?? 5);
const MODES = ['direct', 'pipe', 'resumable'];

function startServer(mode) {
  const child = fork(fileURLToPath(new URL('./tokens-server.mjs', import.meta.url)), [mode], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const ask = (what) =>
    new Promise((resolve) => {
      child.once('message', (message) => resolve(message[what]));
      child.send(what);
    });
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      const match = /listening (\d+)/.exec(String(chunk));
      if (match) resolve({ port: Number(match[1]), ask, stop: () => child.kill() });
    });
  });
}

/** Reads one answer; resolves to the number of tokens (`data:` lines) it carried. */
function readAnswer(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/answer?n=${TOKENS}`, agent: false, headers: { accept: 'text/event-stream' } });
    req.on('error', reject);
    req.on('response', (res) => {
      let tokens = 0;
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const text = tail + chunk;
        const lines = text.split('\n');
        tail = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('data: t')) tokens++;
      });
      res.on('end', () => resolve(tokens));
    });
  });
}

const results = [];
for (const mode of MODES) {
  const server = await startServer(mode);
  await Promise.all(Array.from({ length: 20 }, () => readAnswer(server.port))); // warm-up
  const heapBefore = await server.ask('heap');
  const perToken = [];
  let delivered = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const before = await server.ask('cpu');
    const counts = await Promise.all(Array.from({ length: CLIENTS }, () => readAnswer(server.port)));
    const cpu = (await server.ask('cpu')) - before;
    const got = counts.reduce((a, b) => a + b, 0);
    if (got !== CLIENTS * TOKENS) throw new Error(`${mode}: ${got} tokens of ${CLIENTS * TOKENS}`);
    delivered += got;
    perToken.push(cpu / got);
  }
  const heapAfter = await server.ask('heap');
  server.stop();
  perToken.sort((a, b) => a - b);
  results.push({ mode, cpu: perToken[Math.floor(perToken.length / 2)], heap: (heapAfter - heapBefore) / delivered });
}

const base = results[0];
console.log(`\nToken benchmark: ${CLIENTS} answers of ${TOKENS} tokens at a time, ${ROUNDS} rounds, median CPU\n`);
console.log('| written | CPU µs / token | ratio | heap kept / token (after the answers ended) |');
console.log('| --- | ---: | ---: | ---: |');
for (const { mode, cpu, heap } of results) {
  const label = { direct: '`res.write` by hand', pipe: 'ssekit `pipe()`', resumable: 'ssekit resumable' }[mode];
  console.log(`| ${label} | ${cpu.toFixed(2)} | ${(cpu / base.cpu).toFixed(2)}x | ${Math.max(0, heap).toFixed(0)} B |`);
}
