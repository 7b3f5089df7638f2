#!/usr/bin/env node
// Prints what @ssekit/client adds to an app bundle: src/index.ts bundled and minified by esbuild,
// then gzipped. eventsource-parser stays external because apps often share it with other
// libraries; its own size is printed separately. `--json` prints the numbers for the size test.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

async function measure(external) {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const client = await measure(['eventsource-parser', '@ssekit/core']);
const withParser = await measure(['@ssekit/core']);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ client, withParser }));
} else {
  console.log(`@ssekit/client: ${client.minified} B minified, ${client.gzip} B min+gzip (eventsource-parser external)`);
  console.log(`with eventsource-parser: ${withParser.minified} B minified, ${withParser.gzip} B min+gzip`);
}
