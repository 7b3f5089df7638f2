import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { DemoState } from '../../src/web/state.js';

/**
 * Debian's Chromium (installed by scripts/ensure-system-deps.mjs from package.json's
 * `ssekit.systemDeps`), headless, with the background services off so tests stay quiet and
 * offline. Playwright gives it a fresh temporary profile and removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    timeout: 20_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** A user's tab: its own browser context, so two users share no cookies or connections. */
export interface UserPage {
  context: BrowserContext;
  page: Page;
}

/** Opens the demo as `user` in a new context. */
export async function openAs(browser: Browser, url: string, user: string): Promise<UserPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${url}/?user=${user}`);
  return { context, page };
}

/** The page's state object (`window.ssekitDemo`), copied out of the browser. */
export async function stateOf(page: Page): Promise<DemoState> {
  const state = await page.evaluate(() => window.ssekitDemo);
  if (!state) throw new Error('window.ssekitDemo is missing: did app.js load?');
  return state;
}

/**
 * Polls the page state until `check` holds. Polling from Node (rather than waitForFunction)
 * keeps the predicate in Node, where it can use closures, and shows the last state on timeout.
 */
export async function waitForState(page: Page, what: string, check: (state: DemoState) => boolean, timeout = 10_000): Promise<DemoState> {
  const deadline = Date.now() + timeout;
  let state: DemoState | undefined;
  while (Date.now() < deadline) {
    state = await stateOf(page).catch(() => undefined);
    if (state && check(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { inbox, sent, seq, ...rest } = state ?? ({} as Partial<DemoState>);
  throw new Error(`Timed out after ${timeout} ms waiting for ${what}. Last state: ${JSON.stringify({ ...rest, seq, inbox, sent })}`);
}
