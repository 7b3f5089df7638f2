import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

// The published declarations must stand alone: `@ssekit/core` is not a dependency of the client,
// and an import of it would fail type-checking for users who do not have it (skipLibCheck off).
describe('published declarations', () => {
  it.each(['index.d.mts', 'index.d.cts'])('%s imports no other ssekit package', async (file) => {
    const declarations = await readFile(new URL(`../dist/${file}`, import.meta.url), 'utf8');
    expect(declarations).toContain('type EventMap');
    expect(declarations).not.toMatch(/from ['"]@ssekit\//);
  });
});
