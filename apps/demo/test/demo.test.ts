import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server/start.js';
import { FRAMEWORKS } from '../src/shared/events.js';
import { launchChromium, openAs, type UserPage, waitForState } from './helpers/browser.js';
import { publicDir, screenshotPath } from './helpers/paths.js';

let browser: Browser;
const open: UserPage[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  // Close the tabs of each test even when it failed, so no stream outlives it.
  await Promise.all(open.splice(0).map(({ context }) => context.close().catch(() => {})));
});
afterAll(async () => {
  await browser?.close();
});

describe.each(FRAMEWORKS)('the demo on %s', (framework) => {
  let demo: RunningDemo;
  let url: string;
  const as = async (user: string) => {
    const tab = await openAs(browser, url, user);
    open.push(tab);
    return tab;
  };

  beforeAll(async () => {
    demo = await startDemo({ framework, port: 0, publicDir });
    url = `http://127.0.0.1:${demo.port}`;
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map(({ context }) => context.close().catch(() => {})));
    await demo?.close();
  });

  it('receives and renders live events', async () => {
    const { page } = await as('ada');
    const state = await waitForState(
      page,
      'hello, three ticks and a metrics sample',
      (s) => s.framework !== undefined && s.seq.received >= 3,
    );
    expect(state).toMatchObject({ user: 'ada', framework, status: 'open', reconnects: 0, gaps: 0 });
    await waitForState(page, 'a metrics sample', (s) => s.events > s.seq.received);
    await expect.poll(() => page.locator('#framework').textContent()).toBe(`served by ${framework}`);
    await expect.poll(() => page.locator('#status').textContent()).toBe('live');
    await expect.poll(() => page.locator('#log .row.tick').count()).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.locator('[data-metric="connections"] strong').textContent()).toBe('1');
    await expect.poll(() => page.locator('#continuity').getAttribute('data-ok')).toBe('true');
  });

  it('delivers a per-user notification to that user only', async () => {
    const ada = await as('ada');
    const grace = await as('grace');
    await waitForState(ada.page, 'both users online', (s) => s.online.includes('grace'));

    await ada.page.fill('#notify-to', 'grace');
    await ada.page.fill('#notify-text', `hello from ada on ${framework}`);
    await ada.page.click('#notify-form button');
    const graceState = await waitForState(grace.page, "ada's note", (s) => s.inbox.length > 0);
    expect(graceState.inbox).toEqual([expect.objectContaining({ from: 'ada', to: 'grace', text: `hello from ada on ${framework}` })]);
    await expect.poll(() => grace.page.locator('#notifications li.in').textContent()).toContain(`hello from ada on ${framework}`);

    await grace.page.fill('#notify-to', 'ada');
    await grace.page.fill('#notify-text', 'hi ada');
    await grace.page.click('#notify-form button');
    // Ada's own note to grace was sent first, so had it leaked to her it would be here by now.
    const adaState = await waitForState(ada.page, "grace's reply", (s) => s.inbox.length > 0);
    expect(adaState.inbox).toEqual([expect.objectContaining({ from: 'grace', to: 'ada', text: 'hi ada' })]);
    expect(adaState.sent).toEqual([expect.objectContaining({ to: 'grace', sessions: 1 })]);
    const graceAfter = await waitForState(grace.page, 'the reply to be sent', (s) => s.sent.length > 0);
    expect(graceAfter.inbox).toHaveLength(1);

    // The online list follows the broker's presence: grace's last tab closes, she leaves it.
    await grace.context.close();
    const alone = await waitForState(ada.page, 'grace gone from the online list', (s) => !s.online.includes('grace'));
    expect(alone.online).toEqual(['ada']);
  });

  it('resumes a dropped connection with Last-Event-ID and no gap in the ticks', async () => {
    const { page } = await as('ada');
    const before = await waitForState(page, 'an open session with ticks', (s) => s.sessionId !== undefined && s.seq.received >= 2);
    await page.click('#drop');
    const after = await waitForState(
      page,
      'a reconnect and four more ticks',
      (s) => s.reconnects === 1 && s.sessionId !== undefined && (s.seq.last ?? 0) >= (before.seq.last ?? 0) + 4,
    );
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(after.seq.missing).toEqual([]);
    expect(after.seq.duplicates).toBe(0);
    expect(after.gaps).toBe(0);
    // The client waited about a second (the server's retry hint) before reconnecting: ticks
    // published meanwhile came back from the broker's history, before the new session's hello.
    expect(after.caughtUp).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.locator('#continuity').getAttribute('data-ok')).toBe('true');
    await expect.poll(() => page.locator('#reconnects').textContent()).toMatch(/^1 · caught up \d+ events?$/);
  });

  // Only one run makes the picture; a conditional `it` rather than a skipped one keeps the report clean.
  if (framework !== 'fastify') return;
  it('takes the README screenshot (docs/demo.png)', async () => {
    const ada = await as('ada');
    const grace = await as('grace');
    await waitForState(ada.page, 'both users online', (s) => s.online.includes('grace'));
    for (const [from, to, text] of [
      [grace, 'ada', 'Deploy is green, all four servers up.'],
      [ada, 'grace', 'Nice! Shipping the release notes now.'],
      [grace, 'ada', 'Dropped my wifi for a second: not a single tick lost.'],
    ] as const) {
      await from.page.fill('#notify-to', to);
      await from.page.fill('#notify-text', text);
      await from.page.click('#notify-form button');
      await waitForState(from.page, 'the note to be sent', (s) => s.sent.some((n) => n.text === text));
    }
    await ada.page.click('#drop');
    // A few seconds of metrics make the sparklines worth looking at.
    await waitForState(
      ada.page,
      'a reconnect and some history',
      (s) => s.reconnects === 1 && s.sessionId !== undefined && s.seq.received >= 16,
      15_000,
    );
    await mkdir(dirname(screenshotPath), { recursive: true });
    await ada.page.screenshot({ path: screenshotPath, fullPage: true });
  });
});
