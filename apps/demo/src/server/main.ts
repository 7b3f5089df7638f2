import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createResumableStore } from '@ssekit/redis';
import { FRAMEWORKS, type Framework } from '../shared/events.js';
import { startDemo } from './start.js';

/**
 * `node dist/server/main.mjs [--framework fastify|express|koa|hono] [--port 3000]`, or the
 * FRAMEWORK, PORT and HOST environment variables. Ctrl-C or SIGTERM closes the streams gracefully.
 * With REDIS_URL, assistant answers are kept in that Redis; PEER_URL names the other demo server
 * sharing it (its page may resume answers here).
 */
const { values } = parseArgs({
  options: { framework: { type: 'string', short: 'f' }, port: { type: 'string', short: 'p' } },
});
const framework = values.framework ?? process.env.FRAMEWORK ?? 'fastify';
if (!FRAMEWORKS.includes(framework as Framework)) {
  console.error(`Unknown framework "${framework}": use one of ${FRAMEWORKS.join(', ')}.`);
  process.exit(1);
}
const port = Number(values.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`Invalid port "${values.port ?? process.env.PORT}": use a number from 0 to 65535.`);
  process.exit(1);
}
const host = process.env.HOST ?? '127.0.0.1';
// Bundled to dist/server/main.mjs, next to the page in dist/public.
const publicDir = fileURLToPath(new URL('../public', import.meta.url));

const store = process.env.REDIS_URL ? createResumableStore({ redis: process.env.REDIS_URL }) : undefined;
const peer = process.env.PEER_URL;
const demo = await startDemo({ framework: framework as Framework, port, host, publicDir, store, peer }).catch(
  (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    console.error(`Port ${port} is in use: stop what runs there, or pick another with --port.`);
    process.exit(1);
  },
);
const shown = host === '127.0.0.1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
console.log(`ssekit demo (${framework}): open http://${shown}:${demo.port}`);
console.log(`  a second user: http://${shown}:${demo.port}/?user=grace`);
if (peer) console.log(`  assistant answers kept in Redis, resumable on ${peer} too`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) process.exit(1); // a second Ctrl-C: do not wait
  stopping = true;
  console.log(`\n${signal}: closing the streams…`);
  await demo.close();
  console.log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
