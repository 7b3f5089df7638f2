import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server/start.js';
import { FRAMEWORKS } from '../src/shared/events.js';
import type { ReactDemoState } from '../src/web-react/state.js';
import { launchChromium } from './helpers/browser.js';
import { publicDir } from './helpers/paths.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Polls the React page's `window.ssekitReactDemo` until `check` holds; shows the last state on timeout. */
async function waitForReactState(page: Page, what: string, check: (state: ReactDemoState) => boolean, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let state: ReactDemoState | undefined;
  while (Date.now() < deadline) {
    state = await page.evaluate(() => window.ssekitReactDemo).catch(() => undefined);
    if (state && check(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeout} ms waiting for ${what}. Last state: ${JSON.stringify(state)}`);
}

describe.each(FRAMEWORKS)('the React page (/react.html) on %s', (framework) => {
  let demo: RunningDemo;

  beforeAll(async () => {
    demo = await startDemo({ framework, port: 0, publicDir });
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('shares one connection between its components, renders live events, and resumes a dropped one with no missing tick', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${demo.port}/react.html?user=ada`);
      const live = await waitForReactState(
        page,
        'hello, three ticks and a metrics sample',
        (s) => s.framework !== undefined && s.seq.received >= 3 && s.metrics !== undefined,
      );
      expect(live).toMatchObject({ user: 'ada', framework, status: 'open', gaps: 0, reconnects: 0 });
      expect(live.subscribers).toBe(4);
      // Four components use the stream; the server counts one (this tab's) open stream.
      await waitForReactState(page, 'a metrics sample taken with the stream open', (s) => s.metrics?.connections === 1);
      await expect.poll(() => page.locator('#status').textContent()).toBe('live');
      await expect.poll(() => page.locator('#framework').textContent()).toBe(`served by ${framework}`);
      await expect.poll(() => page.locator('[data-metric="connections"] strong').textContent()).toBe('1');

      await page.click('#drop');
      const after = await waitForReactState(
        page,
        'a reconnect and four more ticks',
        (s) => s.reconnects === 1 && s.sessionId !== undefined && (s.seq.last ?? 0) >= (live.seq.last ?? 0) + 4,
      );
      expect(after.seq.missing).toEqual([]);
      expect(after.seq.duplicates).toBe(0);
      expect(after.gaps).toBe(0);
      await expect.poll(() => page.locator('#continuity').getAttribute('data-ok')).toBe('true');
    } finally {
      await context.close();
    }
  });
});
