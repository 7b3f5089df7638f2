import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('stays under 5 KB minified and gzipped (eventsource-parser external)', () => {
  const script = fileURLToPath(new URL('../scripts/size.mjs', import.meta.url));
  const output = execFileSync(process.execPath, [script, '--json'], { encoding: 'utf8' });
  const { client } = JSON.parse(output) as { client: { minified: number; gzip: number } };
  console.info(`@ssekit/client: ${client.gzip} B min+gzip`);
  expect(client.gzip).toBeGreaterThan(500);
  expect(client.gzip).toBeLessThan(5120);
});
