import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  exited,
  freePort,
  type NatsServer,
  openSse,
  type RedisCluster,
  type RedisSentinels,
  type RedisServer,
  type SseReader,
  type SseReaderOptions,
  startNats,
  startRedis,
  startRedisCluster,
  startRedisSentinels,
  track,
} from '@ssekit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksOf, readmes } from '../src/blocks.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../../..');
// Inside the workspace, so the blocks resolve `@ssekit/*` and the frameworks from this package.
const work = resolve(here, '../.blocks');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const blocks = readmes(root).flatMap((file) => blocksOf(file, root));
const compiled = blocks.filter((block) => block.kind !== 'fragment');
const runnable = blocks.filter((block) => block.kind === 'run');
const fragments = blocks.filter((block) => block.kind === 'fragment');

/** `listen(3000)` and `port: 3000` in a runnable block: the port the runner gives it instead. */
const withPortFromEnv = (code: string) => code.replace(/\b3000\b/g, 'Number(process.env.PORT)');

/** What `tsc` printed for the extracted blocks (it emits the JavaScript even when it reports errors). */
let diagnostics = '';

/**
 * A block that augments a module (`declare module '@ssekit/core' { interface Register … }`) changes
 * the types of every file in its program, so each such block is compiled on its own; the others
 * share one program.
 */
const augments = (code: string) => /declare module ['"]/.test(code);

/** Runs `tsc` on one config; resolves to what it printed (it emits the JavaScript even with errors). */
const compile = (config: string) =>
  new Promise<string>((done) => {
    execFile(process.execPath, [tsc, '-p', join(work, config)], { cwd: work }, (error, stdout, stderr) =>
      done(error ? `${stdout}${stderr}` || String(error) : ''),
    );
  });

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const configOf = (files: string[]) =>
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      // Legacy decorators, as Nest apps compile them (`@ssekit/nestjs`); JSX for `tsx` blocks (`@ssekit/react`).
      compilerOptions: { noEmit: false, outDir: 'out', rootDir: '.', declaration: false, experimentalDecorators: true, jsx: 'react-jsx' },
      files,
    });
  const shared: string[] = [];
  const configs: string[] = [];
  for (const block of compiled) {
    const code = block.kind === 'run' ? withPortFromEnv(block.code) : block.code;
    const file = `${block.name}.${block.extension}`;
    writeFileSync(join(work, file), `// ${block.where}\n${code}\nexport {};\n`);
    if (augments(code)) {
      writeFileSync(join(work, `tsconfig.${block.name}.json`), configOf([file]));
      configs.push(`tsconfig.${block.name}.json`);
    } else {
      shared.push(file);
    }
  }
  writeFileSync(join(work, 'tsconfig.json'), configOf(shared));
  configs.push('tsconfig.json');
  // Two at a time: one per core.
  const outputs: string[] = [];
  for (let i = 0; i < configs.length; i += 2) outputs.push(...(await Promise.all(configs.slice(i, i + 2).map(compile))));
  diagnostics = outputs.join('');
}, 120_000);

describe('README TypeScript blocks', () => {
  it(`${compiled.length} blocks compile under strict settings (${runnable.length} of them run; ${fragments.length} fragments are not compiled)`, () => {
    console.log(
      `README blocks: ${compiled.length} compiled, ${runnable.length} run, ${fragments.length} fragments (${fragments.map((b) => b.where).join(', ')})`,
    );
    expect(compiled.length).toBeGreaterThan(0);
    expect(diagnostics).toBe('');
  });

  let redis: RedisServer | undefined;
  let nats: NatsServer | undefined;
  let cluster: RedisCluster | undefined;
  let sentinels: RedisSentinels | undefined;
  afterAll(async () => {
    await Promise.allSettled([redis?.stop(), nats?.stop(), cluster?.stop(), sentinels?.stop()]);
  });

  for (const block of runnable) {
    it(`${block.where} starts, streams, and exits 0 on SIGTERM`, async () => {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
      if (block.code.includes('REDIS_URL')) {
        redis ??= await startRedis();
        env.REDIS_URL = redis.url;
      }
      if (block.code.includes('NATS_URL')) {
        nats ??= await startNats();
        env.NATS_URL = nats.url;
      }
      if (block.code.includes('REDIS_CLUSTER_URL')) {
        cluster ??= await startRedisCluster();
        env.REDIS_CLUSTER_URL = cluster.url;
      }
      if (block.code.includes('REDIS_SENTINEL_URL')) {
        sentinels ??= await startRedisSentinels();
        env.REDIS_SENTINEL_URL = sentinels.url;
      }
      const child = track(
        spawn(process.execPath, [join(work, 'out', `${block.name}.js`)], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      let output = '';
      child.stdout?.on('data', (chunk) => (output += chunk));
      child.stderr?.on('data', (chunk) => (output += chunk));
      const exit = exited(child);
      const answers = isAnswersRecipe(block.code);
      const reader = answers
        ? await connect(`http://127.0.0.1:${port}/answers`, child, () => output, ANSWER_REQUEST)
        : await connect(`http://127.0.0.1:${port}/events`, child, () => output);
      try {
        expect(reader.status, output).toBe(200);
        expect(reader.headers['content-type']).toContain('text/event-stream');
        if (answers) await checkResume(`http://127.0.0.1:${port}/answers`, reader, output);
        // Examples publish every 2 s: let one through, so a publish racing the shutdown is exercised.
        else await reader.waitForEvents(1, 2_500).catch(() => {});
        child.kill('SIGTERM');
        const outcome = await Promise.race([
          exit,
          new Promise((done) => setTimeout(() => done('still running 10 s after SIGTERM'), 10_000)),
        ]);
        expect(outcome, output).toEqual({ code: 0, signal: null });
      } finally {
        reader.close();
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});

/**
 * A "streaming LLM answers" recipe (it serves resumable answers rather than `GET /events`): `POST
 * /answers` with `{ "prompt": … }` as user `ada` starts one, `GET /answers/:id` resumes it.
 */
const isAnswersRecipe = (code: string) => /resumable: [{t]/.test(code) && /['"]\/?answers\b/.test(code);
const ANSWER_REQUEST = { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': 'ada' }, body: '{"prompt":"hi"}' };

/**
 * The recipe's promise: a reader dropped after two tokens resumes by `GET` with `Last-Event-ID`
 * and gets the rest, each token once, then `ssekit:done`; another user cannot resume it.
 */
async function checkResume(base: string, first: SseReader, output: string): Promise<void> {
  const id = first.headers['ssekit-stream-id'] as string;
  expect(id, output).toBeTruthy();
  await first.waitForEvents(2, 10_000);
  first.close();
  const seen = first.events.filter((event) => event.id !== undefined);
  const last = seen.at(-1)?.id as string;
  const intruder = await openSse(`${base}/${id}`, { headers: { 'x-user-id': 'eve' } });
  intruder.close();
  expect(intruder.status, output).toBe(404);
  const rest = await openSse(`${base}/${id}`, { headers: { 'x-user-id': 'ada', 'last-event-id': last } });
  await rest.done;
  const ids = [...seen, ...rest.events].map((event) => Number(event.id));
  expect(ids, output).toEqual(ids.map((_, index) => index + 1)); // every event once, in order
  expect(rest.events.at(-1)?.event, output).toBe('ssekit:done');
}

/** Opens the example's stream once it listens (or fails with what the example printed). */
async function connect(url: string, child: ChildProcess, output: () => string, request: SseReaderOptions = {}): Promise<SseReader> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the example exited with ${child.exitCode} before serving:\n${output()}`);
    try {
      return await openSse(url, request);
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the example never served ${url} (${String(error)}):\n${output()}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}
