/** Polls `condition` until it holds, or rejects with `message` after `timeout` ms. */
export async function waitFor(condition: () => boolean, message: string, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
