import { fileURLToPath } from 'node:url';

/** The built page (made by the global setup). */
export const publicDir = fileURLToPath(new URL('../../dist/public', import.meta.url));
/** The screenshot the root README shows. */
export const screenshotPath = fileURLToPath(new URL('../../../../docs/demo.png', import.meta.url));
