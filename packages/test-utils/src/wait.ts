/** Polls `condition` until it holds, or rejects with `message` after `timeout` ms. */
export async function waitFor(condition: () => boolean, message: string, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** True when `promise` settles within `ms` milliseconds, false when it is still pending then. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const late = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref());
  return Promise.race([promise.then(() => true), late]);
}

/**
 * Polls an async `condition` (a probe of a server, say) every 50 ms until it resolves true, or
 * rejects with `message` after `timeout` ms. A probe that throws counts as not yet.
 */
export async function waitUntil(condition: () => Promise<boolean>, message: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
