#!/usr/bin/env node
// tsup names ESM declarations `.d.ts` in a `"type": "module"` package. The exports maps promise
// `.d.mts` beside `.d.cts`, so rename them and point their relative imports at `.mjs`.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

const dist = process.argv[2] ?? 'dist';
for await (const file of walk(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = await readFile(file, 'utf8');
  const fixed = text.replace(/(from\s+['"]\.{1,2}\/[^'"]+?)\.js(['"])/g, '$1.mjs$2');
  await writeFile(file.replace(/\.d\.ts$/, '.d.mts'), fixed);
  await rm(file);
}
