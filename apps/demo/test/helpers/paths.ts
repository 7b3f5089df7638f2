import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built page (made by the global setup). */
export const publicDir = fileURLToPath(new URL('../../dist/public', import.meta.url));
/**
 * Where the screenshot test writes: the root README's `docs/demo.png` with `UPDATE_SCREENSHOT=1`,
 * a temporary file otherwise, so a test run leaves the work tree as it was.
 */
export const screenshotPath =
  process.env.UPDATE_SCREENSHOT === '1'
    ? fileURLToPath(new URL('../../../../docs/demo.png', import.meta.url))
    : join(tmpdir(), 'ssekit-demo.png');
