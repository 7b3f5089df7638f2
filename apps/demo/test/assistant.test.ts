/**
 * The assistant card in headless Chromium: a long answer survives dropped connections with every
 * token once, on every framework, and a resume sent to another server process (sharing a real
 * Redis) completes it there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createResumableStore } from '@ssekit/redis';
import { freePort, type RedisServer, startRedis, stopChild, track, waitForOutput } from '@ssekit/test-utils';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server/start.js';
import { FRAMEWORKS } from '../src/shared/events.js';
import { launchChromium, openAs, type UserPage, waitForState } from './helpers/browser.js';
import { publicDir } from './helpers/paths.js';

let browser: Browser;
const tabs: UserPage[] = [];
const TOKENS = 400;

beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  await Promise.all(tabs.splice(0).map(({ context }) => context.close().catch(() => {})));
});
afterAll(async () => {
  await browser?.close();
});

const openTab = async (url: string) => {
  const tab = await openAs(browser, url, 'ada');
  tabs.push(tab);
  if (process.env.DEBUG_PAGE) {
    tab.page.on('requestfailed', (r) => console.log('FAILED', r.method(), r.url(), r.failure()?.errorText));
    tab.page.on('response', (r) => console.log('RESPONSE', r.status(), r.request().method(), r.url()));
    tab.page.on('console', (m) => console.log('CONSOLE', m.text()));
  }
  await waitForState(tab.page, 'the hello', (s) => s.framework !== undefined);
  return tab.page;
};

/** Asks, drops the connection `drops` times while tokens arrive, and waits for the end. */
async function askAndDrop(page: Page, drops: number) {
  await page.click('#ask-form button');
  for (let drop = 1; drop <= drops; drop++) {
    // Each drop once the previous resume is open and a few more tokens came.
    await waitForState(
      page,
      `tokens before drop ${drop}`,
      (s) => s.assistant.servedBy.length === drop && s.assistant.seq.received >= 30 * drop,
    );
    await page.click('#answer-drop', { timeout: 5_000 });
  }
  return waitForState(page, 'the answer to finish', (s) => s.assistant.status !== 'streaming', 20_000);
}

describe.each(FRAMEWORKS)('the assistant on %s', (framework) => {
  let demo: RunningDemo;
  let url: string;
  beforeAll(async () => {
    demo = await startDemo({ framework, port: 0, publicDir, answerTokens: TOKENS, tokenEvery: 8 });
    url = `http://127.0.0.1:${demo.port}`;
  });
  afterAll(async () => {
    await Promise.all(tabs.splice(0).map(({ context }) => context.close().catch(() => {})));
    await demo?.close();
  });

  it('completes a long answer across dropped connections: every token once, in order, one generation', async () => {
    const page = await openTab(url);
    const { assistant } = await askAndDrop(page, 2);
    expect(assistant).toMatchObject({ status: 'done', finish: 'complete', drops: 2 });
    expect(assistant.seq).toMatchObject({ received: TOKENS, last: TOKENS, missing: [], duplicates: 0 });
    // The POST, then one resume per drop, all on this server.
    expect(assistant.servedBy).toEqual([String(demo.port), String(demo.port), String(demo.port)]);
    await expect.poll(() => page.locator('#answer-check').getAttribute('data-ok')).toBe('true');
    await expect.poll(() => page.locator('#answer').textContent()).toContain('You asked:');
  });

  it('stops the answer where it is generated: the page gets the end (stopped)', async () => {
    const page = await openTab(url);
    await page.click('#ask-form button');
    await waitForState(page, 'a few tokens', (s) => s.assistant.seq.received >= 5 && s.assistant.id !== undefined);
    await page.click('#answer-stop');
    const { assistant } = await waitForState(page, 'the answer to end', (s) => s.assistant.status !== 'streaming');
    expect(assistant).toMatchObject({ status: 'done', finish: 'stopped' });
    expect(assistant.seq.received).toBeLessThan(TOKENS);
    expect(assistant.seq.missing).toEqual([]);
  });
});

describe('the assistant across two server processes sharing Redis', () => {
  let redis: RedisServer;
  let other: ChildProcess;
  let otherPort: number;
  let demo: RunningDemo;

  beforeAll(async () => {
    redis = await startRedis();
    const port = await freePort();
    const server = fileURLToPath(new URL('../dist/server/main.mjs', import.meta.url));
    other = track(
      spawn(process.execPath, [server, '--port', '0', '--framework', 'express'], {
        env: { ...process.env, REDIS_URL: redis.url, PEER_URL: `http://127.0.0.1:${port}` },
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    otherPort = Number((await waitForOutput(other, /open http:\/\/localhost:(\d+)/, 20_000))[1]);
    demo = await startDemo({
      framework: 'fastify',
      port,
      publicDir,
      store: createResumableStore({ redis: redis.url }),
      peer: `http://127.0.0.1:${otherPort}`,
      answerTokens: TOKENS,
      tokenEvery: 8,
    });
  });
  afterAll(async () => {
    await Promise.all(tabs.splice(0).map(({ context }) => context.close().catch(() => {})));
    await demo?.close();
    if (other) await stopChild(other);
    await redis?.stop();
  });

  it('a drop with "resume on the other server" completes the answer there, nothing missing or repeated', async () => {
    const page = await openTab(`http://127.0.0.1:${demo.port}`);
    await page.check('#answer-peer');
    const { assistant } = await askAndDrop(page, 1);
    expect(assistant).toMatchObject({ status: 'done', finish: 'complete', drops: 1 });
    expect(assistant.seq).toMatchObject({ received: TOKENS, last: TOKENS, missing: [], duplicates: 0 });
    // Started here (the producer runs here), resumed on the other process.
    expect(assistant.servedBy).toEqual([String(demo.port), String(otherPort)]);
  });
});
