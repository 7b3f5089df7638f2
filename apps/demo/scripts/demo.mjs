#!/usr/bin/env node
// `pnpm demo`: builds the page and the server, then starts the server in this same process, so
// Ctrl-C and SIGTERM reach it directly (no shell in between to die first) and it closes the
// broker gracefully. Flags and environment (FRAMEWORK, PORT, HOST) pass through to the server.
import { buildDemo } from './build.mjs';

await buildDemo();
await import('../dist/server/main.mjs');
