import { defineConfig, type Options } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

// `'use client'` on top of the bundles: React Server Components frameworks (Next.js) then treat
// the provider and the hook as client code even when a server component imports them.
export default defineConfig({ ...(packageBuild() as Options), banner: { js: "'use client';" } });
