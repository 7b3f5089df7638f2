// The server under test on Bun or Deno (started by runtime-process.mjs): a variant from
// variants/web/ served by the runtime's own HTTP server, driven over HTTP (`POST /_bench/<verb>`)
// with the verbs server.mjs answers over IPC. Prints `listening <port>` once it listens.
const deno = globalThis.Deno;
const bun = globalThis.Bun;
const [variant, options = '{}'] = deno ? deno.args : process.argv.slice(2);
const { create } = await import(`./variants/web/${variant}.mjs`);
const target = await create(JSON.parse(options));

const now = () => performance.timeOrigin + performance.now();
const payload = (seq, pad) => `{"s":${seq},"t":${now().toFixed(3)},"p":"${'x'.repeat(pad)}"}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const gc = () => (bun ? bun.gc(true) : globalThis.gc?.());

const handlers = {
  version: () => ({ version: bun ? `Bun ${bun.version}` : `Deno ${deno.version.deno}` }),
  count: () => ({ count: target.count() }),
  cpu: () => ({ cpu: process.cpuUsage() }),
  async memory() {
    for (let i = 0; i < 4; i++) {
      gc();
      await sleep(30);
    }
    const { heapUsed, rss } = process.memoryUsage();
    return { heapUsed, rss };
  },
  async publish({ events, firstSeq, pad, mode, interval }) {
    if (mode === 'burst') {
      for (let i = 0; i < events; i++) target.publish(payload(firstSeq + i, pad), firstSeq + i);
      return {};
    }
    for (let i = 0; i < events; i++) {
      target.publish(payload(firstSeq + i, pad), firstSeq + i);
      if (interval > 0) await sleep(interval);
      else await new Promise((resolve) => setImmediate(resolve));
    }
    return {};
  },
  // After the answer is sent: a profiler (`bun --cpu-prof`) writes its file on a clean exit.
  exit: () => {
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

async function fetch(request, server) {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith('/_bench/')) return target.fetch(request, server);
  const handler = handlers[pathname.slice('/_bench/'.length)];
  if (!handler) return new Response('unknown verb', { status: 404 });
  return Response.json(await handler(await request.json()));
}

if (bun) {
  // idleTimeout 0: Bun would otherwise end every stream that is quiet for 10 s.
  const server = bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 0, fetch });
  console.log(`listening ${server.port}`);
} else {
  deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) }, fetch);
}
