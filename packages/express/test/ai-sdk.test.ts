/**
 * The AI SDK's chat resume (`useChat({ resume: true })`) against an ssekit endpoint, through the
 * SDK's own transport: its `POST` starts the answer, a dropped reader resumes with
 * `GET /api/chat/:id/stream` (204 when nothing is running), and the SDK rebuilds the message.
 */
import type { AddressInfo } from 'node:net';
import { createBroker } from '@ssekit/core';
import { DefaultChatTransport, readUIMessageStream, UI_MESSAGE_STREAM_HEADERS, type UIMessage, type UIMessageChunk } from 'ai';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressSse } from '../src/index.js';

const WORDS = Array.from({ length: 40 }, (_, i) => `w${i + 1} `);

/** An answer as the AI SDK's UI message stream: start, text deltas, end, finish. */
async function* answerChunks(log: { generated: number }): AsyncGenerator<UIMessageChunk> {
  log.generated++;
  yield { type: 'start', messageId: 'answer-1' };
  yield { type: 'text-start', id: 't' };
  for (const delta of WORDS) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    yield { type: 'text-delta', id: 't', delta };
  }
  yield { type: 'text-end', id: 't' };
  yield { type: 'finish' };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function start() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const log = { generated: 0 };
  /** The chat's running answer: what the AI SDK's docs keep in your database. */
  const active = new Map<string, string>();
  const app = express();
  app.use(express.json(), expressSse({ broker }));
  app.post('/api/chat', async (req, res) => {
    const chatId = String(req.body.id);
    const answer = await broker.createStream(answerChunks(log), {
      // The SDK's stream carries its own end (`finish`) and rejects events it does not know.
      endEvents: false,
      map: (chunk) => ({ data: chunk }),
    });
    active.set(chatId, answer.id);
    void answer.finished.then(() => active.delete(chatId));
    res.set(UI_MESSAGE_STREAM_HEADERS);
    await res.sse({ resume: answer.id });
  });
  app.get('/api/chat/:id/stream', async (req, res) => {
    const running = active.get(req.params.id);
    if (!running) {
      res.sendStatus(204); // nothing to resume: the SDK's convention
      return;
    }
    res.set(UI_MESSAGE_STREAM_HEADERS);
    await res.sse({ resume: running }); // from the start: the SDK rebuilds the message
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  close = async () => {
    await broker.close();
    server.close();
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

async function textOf(stream: ReadableStream<UIMessageChunk>): Promise<string> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return (last?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');
}

describe('the AI SDK chat resume against ssekit', () => {
  it('a reader dropped mid-answer reconnects through reconnectToStream and gets the whole message; the answer was generated once', async () => {
    const { url, log } = await start();
    const transport = new DefaultChatTransport({ api: `${url}/api/chat` });
    const abort = new AbortController();
    const first = await transport.sendMessages({
      chatId: 'chat-1',
      messages: [{ id: 'q', role: 'user', parts: [{ type: 'text', text: 'hi' }] }],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: abort.signal,
    });
    const reader = first.getReader();
    const seen: UIMessageChunk[] = [];
    while (seen.length < 10) seen.push((await reader.read()).value as UIMessageChunk);
    abort.abort(); // the tab reloads
    await reader.cancel().catch(() => {});

    const resumed = await transport.reconnectToStream({ chatId: 'chat-1' });
    expect(resumed).not.toBeNull();
    expect(await textOf(resumed as ReadableStream<UIMessageChunk>)).toBe(WORDS.join(''));
    expect(log.generated).toBe(1);

    // Finished: nothing to resume any more.
    expect(await transport.reconnectToStream({ chatId: 'chat-1' })).toBeNull();
  });
});
