/**
 * What is particular to the NATS transport (the shared suite is in contract.test.ts): its ids and
 * subjects, the stream it creates, publish outcomes, lost history without a server restart, and
 * what close() closes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isSseError, SseEncodeError, type Transport, type TransportGap, type TransportMessage } from '@ssekit/core';
import { freePort, type NatsServer, settlesWithin, startNats, waitFor } from '@ssekit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsTransport, type NatsTransportOptions } from '../src/index.js';

let server: NatsServer;
let admin: NatsConnection;
const transports: Transport[] = [];
const connections: NatsConnection[] = [];
let streams = 0;

beforeAll(async () => {
  server = await startNats();
  admin = await connect({ servers: server.url });
});

afterAll(async () => {
  try {
    await Promise.race([Promise.allSettled(transports.map((t) => t.close())), new Promise((r) => setTimeout(r, 5_000))]);
    for (const nc of [admin, ...connections]) await nc?.close().catch(() => {});
  } finally {
    await server?.stop();
  }
});

const frame = (n: number | string) => `data: ${n}\n\n`;
/** Resolves once the process is stopped (state `T` in /proc): `kill` only queues the signal. */
const stopped = async (pid: number) => {
  const state = () => /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  await waitFor(() => state() === 'T', 'the server to stop');
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const names = () => {
  const name = `T${++streams}`;
  return { stream: name, subject: name.toLowerCase() };
};

function transport(options: Partial<NatsTransportOptions> & { stream: string; subject: string }): Transport {
  const created = createNatsTransport({ nats: server.url, ...options });
  transports.push(created);
  return created;
}

type Logged = { gap: TransportGap } | { message: TransportMessage };
async function listen(node: Transport) {
  const log: Logged[] = [];
  node.subscribe({ message: (message) => log.push({ message }), gap: (gap) => log.push({ gap }) });
  await node.ready?.();
  return log;
}
const summary = (log: Logged[]) => log.map((item) => ('gap' in item ? 'gap' : item.message.frame));

async function failure(work: () => unknown, what = 'the call'): Promise<Error> {
  let result: unknown;
  try {
    result = await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error(`Expected ${what} to fail, it returned ${String(result)}`);
}

describe('ids, subjects and the stream', () => {
  it('issues <sequence>-<tag> ids, stores channels and tag in headers, and creates the stream with the options', async () => {
    const { stream, subject } = names();
    const node = transport({ stream, subject, maxLength: 50, maxAge: 60_000, maxBytes: 1_000_000, storage: 'memory' });
    const got = await listen(node);
    const ids = [await node.publish(['#a', '@ada'], frame(1)), await node.publish(['*'], frame(2))];
    expect(ids[0]).toMatch(/^1-[0-9a-z]{8}$/);
    expect(ids[1]).toMatch(/^2-[0-9a-z]{8}$/);
    await waitFor(() => got.length === 2, 'both events');
    expect(got.map((item) => ('message' in item ? item.message.id : 'gap'))).toEqual(ids);
    const jsm = await jetstreamManager(admin);
    const info = await jsm.streams.info(stream);
    expect(info.config).toMatchObject({
      subjects: [`${subject}.>`],
      max_msgs: 50,
      max_age: 60_000_000_000,
      max_bytes: 1_000_000,
      storage: 'memory',
    });
    const stored = await jsm.streams.getMessage(stream, { seq: 1 });
    expect(stored?.subject).toBe(`${subject}.e`);
    expect(stored?.header.get('Ssekit-Channels')).toBe('["#a","@ada"]');
    expect(stored?.header.get('Ssekit-Tag')).toBe(ids[0]?.split('-')[1]);
    expect(new TextDecoder().decode(stored?.data)).toBe(frame(1));
  });

  it('sets the limits of an existing stream to its options', async () => {
    const { stream, subject } = names();
    await transport({ stream, subject, maxLength: 10 }).publish(['#a'], frame(1));
    const node = transport({ stream, subject, maxLength: 20, maxAge: 0 });
    await listen(node);
    const info = await (await jetstreamManager(admin)).streams.info(stream);
    expect(info.config).toMatchObject({ max_msgs: 20, max_age: 0 });
  });

  it('refuses ids shaped like its own, publishing nothing; passes an empty id through', async () => {
    const { stream, subject } = names();
    const node = transport({ stream, subject });
    const got = await listen(node);
    const error = await failure(() => node.publish(['#a'], frame(1), '12-abcdefgh'));
    expect(error).toBeInstanceOf(SseEncodeError);
    expect((error as SseEncodeError).code).toBe('INVALID_ID');
    expect(await node.publish(['#a'], frame(2), '')).toBe('');
    await waitFor(() => got.length === 1, 'the event');
    expect(got[0]).toMatchObject({ message: { id: '', frame: frame(2) } });
    expect((await (await jetstreamManager(admin)).streams.info(stream)).state.messages).toBe(1);
  });

  it('refuses ids too long for a subject, and reports a frame over the server max_payload as not stored', async () => {
    const { stream, subject } = names();
    const node = transport({ stream, subject });
    await node.publish(['#a'], frame(0));
    const long = await failure(() => node.publish(['#a'], frame(1), 'x'.repeat(1025)), 'a publish with a long id');
    expect(long).toBeInstanceOf(SseEncodeError);
    expect((long as SseEncodeError).code).toBe('INVALID_ID');
    const huge = await failure(() => node.publish(['#a'], `data: ${'x'.repeat(1_100_000)}\n\n`), 'a publish over max_payload');
    expect(isSseError(huge) && huge.code).toBe('TRANSPORT_FAILED');
    expect(huge.message).toMatch(/NATS did not store the event: .*max_payload.*It was not published/);
    expect((await (await jetstreamManager(admin)).streams.info(stream)).state.messages).toBe(1);
  });

  it('treats an id whose tag is not the one stored at its sequence as unknown', async () => {
    const { stream, subject } = names();
    const node = transport({ stream, subject });
    const id = await node.publish(['#a'], frame(1));
    await node.publish(['#a'], frame(2));
    const [seq] = id.split('-');
    expect(await node.replay(['#a'], `${seq}-zzzzzzzz`)).toEqual({ messages: [], gap: 'unknown' });
    expect(await node.replay(['#a'], `9${seq}-${id.split('-')[1]}`)).toEqual({ messages: [], gap: 'unknown' });
    expect((await node.replay(['#a'], id)).messages.map((m) => m.frame)).toEqual([frame(2)]);
  });

  it('rejects options NATS would refuse', () => {
    expect(() => createNatsTransport({ nats: server.url, stream: 'a.b' })).toThrow(RangeError);
    expect(() => createNatsTransport({ nats: server.url, subject: 'a.*' })).toThrow(RangeError);
    expect(() => createNatsTransport({ nats: server.url, maxLength: -1 })).toThrow(RangeError);
  });
});

describe('lost history without a server restart', () => {
  it('reports a gap when the stream is deleted and created again, then delivers the new stream once', async () => {
    const { stream, subject } = names();
    // Memory storage: nats-server 2.9 can break a file stream deleted and created again at once
    // by two clients (it loses its block file), which is not what this test is about.
    const [a, b] = [transport({ stream, subject, storage: 'memory' }), transport({ stream, subject, storage: 'memory' })];
    const got = await listen(b);
    await a.publish(['#a'], frame(0));
    await waitFor(() => got.length === 1, 'the first event');
    await (await jetstreamManager(admin)).streams.delete(stream);
    let after: string | undefined;
    for (const deadline = Date.now() + 10_000; after === undefined && Date.now() < deadline; ) {
      after = await Promise.resolve(a.publish(['#a'], frame(1))).catch(() => undefined);
    }
    await waitFor(() => summary(got).includes(frame(1)), 'the event on the new stream', 15_000);
    await sleep(200);
    expect(summary(got)).toEqual([frame(0), 'gap', frame(1)]);
    expect((got[1] as { gap: TransportGap }).gap.detail).toMatch(/created again|not the one|went back/);
  });

  it('reports a gap when the limits remove messages before a paused reader read them, then delivers what is retained', async () => {
    const { stream, subject } = names();
    // One message per pull: the server has not sent the next ones before this node asks for them.
    const node = transport({ stream, subject, maxLength: 5, readCount: 1 });
    const script = fileURLToPath(new URL('./helpers/publish-foreign.mjs', import.meta.url));
    let paused = false;
    node.subscribe({
      gap: () => {},
      message: (message) => {
        if (paused || message.frame !== frame(0)) return;
        paused = true;
        // Blocks this process (and its consumer) while another one publishes 30 messages into a
        // stream that keeps 5: 25 are gone before this node can read them.
        execFileSync(process.execPath, [script, server.url, subject, '30'], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
      },
    });
    const log = await listen(node);
    await node.publish(['#a'], frame(0));
    await waitFor(() => summary(log).includes(frame(30)), 'the gap and the retained messages', 10_000);
    await sleep(200);
    // The message after the paused one may have been on its way already (it was pulled): read, not lost.
    const retained = [26, 27, 28, 29, 30].map(frame);
    expect([
      [frame(0), 'gap', ...retained],
      [frame(0), frame(1), 'gap', ...retained],
    ]).toContainEqual(summary(log));
    expect(log.find((item) => 'gap' in item)).toMatchObject({
      gap: { detail: expect.stringMatching(/2[45] messages after sequence [12] were removed/) },
    });
  });
});

describe('publish outcomes', () => {
  it('says NATS did not store an event it refused, that the outcome is unknown when no answer came, and that nothing was sent when it is down', async () => {
    const own = await startNats();
    try {
      const nc = await connect({ servers: own.url });
      connections.push(nc);
      const jsm = await jetstreamManager(nc);
      // A stream that refuses new messages once full: JetStream answers with an error.
      await jsm.streams.add({ name: 'FULL', subjects: ['full.>'], max_msgs: 1, discard: 'new' as never });
      const full = createNatsTransport({ nats: own.url, stream: 'FULL', subject: 'full', timeout: 500 });
      transports.push(full);
      await full.publish(['#a'], frame(1));
      const refused = await failure(() => full.publish(['#a'], frame(2)), 'a publish into a full stream');
      expect(isSseError(refused) && refused.code).toBe('TRANSPORT_FAILED');
      expect(refused.message).toMatch(/NATS did not store the event: .*It was not published/);

      const node = createNatsTransport({ nats: own.url, stream: 'OUTCOME', subject: 'outcome', timeout: 500 });
      transports.push(node);
      await node.publish(['#a'], frame(0)); // connected, stream created
      process.kill(own.pid, 'SIGSTOP'); // the message reaches the socket, the answer never comes
      await stopped(own.pid);
      const lost = await failure(() => node.publish(['#a'], frame(1)), 'a publish to a stopped server');
      process.kill(own.pid, 'SIGCONT');
      expect(isSseError(lost) && lost.code).toBe('TRANSPORT_FAILED');
      expect(lost.message).toMatch(/outcome of the publish is unknown/);
      expect(lost.message).not.toMatch(/not published|not stored/);
      // Indeed: the server stored it once it woke up.
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(20)) {
        if ((await jsm.streams.info('OUTCOME')).state.messages === 2) break;
      }
      expect((await jsm.streams.info('OUTCOME')).state.messages).toBe(2);

      await own.kill();
      // A publish racing the client's notice of the disconnect may be buffered by it (outcome
      // unknown); once the transport knows, it sends nothing.
      let down = await failure(() => node.publish(['#a'], frame(2)));
      for (const deadline = Date.now() + 5_000; !/Nothing was sent/.test(down.message) && Date.now() < deadline; ) {
        expect(down.message).toMatch(/outcome of the publish is unknown/);
        down = await failure(() => node.publish(['#a'], frame(2)));
      }
      expect(isSseError(down) && down.code).toBe('TRANSPORT_FAILED');
      expect(down.message).toMatch(/Nothing was sent to NATS/);
    } finally {
      try {
        process.kill(own.pid, 'SIGCONT');
      } catch {
        // gone
      }
      await own.stop();
    }
  });
});

describe('close()', () => {
  it('returns promptly while NATS is unreachable, with its read loop waiting to connect', async () => {
    const node = createNatsTransport({ nats: `nats://127.0.0.1:${await freePort()}`, timeout: 2_000 });
    node.subscribe({ message: () => {}, gap: () => {} });
    const ready = node.ready?.().catch((error: unknown) => error);
    // Closing does not wait for the next connection attempt, the stream check or ready()'s timeout.
    expect(await settlesWithin(Promise.resolve(node.close()), 2_500)).toBe(true);
    expect(isSseError(await ready) && ((await ready) as { code: string }).code).toBe('TRANSPORT_FAILED');
  });

  it('closes the connection it opened from a URL, leaves yours open, and refuses further work', async () => {
    const { stream, subject } = names();
    const yours = await connect({ servers: server.url });
    connections.push(yours);
    const onYours = createNatsTransport({ nats: yours, stream, subject });
    await listen(onYours);
    await onYours.publish(['#a'], frame(1));
    await onYours.close();
    expect(yours.isClosed()).toBe(false);
    await yours.flush();

    const consumers = async () => (await (await jetstreamManager(admin)).streams.info(stream)).state.consumer_count;
    const fromUrl = createNatsTransport({ nats: server.url, stream, subject });
    await listen(fromUrl);
    for (const deadline = Date.now() + 5_000; (await consumers()) !== 1 && Date.now() < deadline; ) await sleep(20);
    expect(await consumers()).toBe(1); // its own; the other transport's was removed on close
    await fromUrl.close();
    expect(await consumers()).toBe(0); // its consumer is removed, not left to expire
    const error = await failure(() => fromUrl.publish(['#a'], frame(2)));
    expect(isSseError(error) && error.code).toBe('TRANSPORT_FAILED');
    await fromUrl.close(); // twice is fine
  });
});
