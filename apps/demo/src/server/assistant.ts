/**
 * The assistant: a deterministic local token generator standing in for a model (no download, the
 * same answer every time), and the framework-free logic of its routes. Answers run as resumable
 * streams: `POST /api/answers` starts one, `GET /api/answers/:id` resumes it on any demo server
 * that shares the store, `DELETE /api/answers/:id` stops it.
 */
import type { Events } from '../shared/events.js';

const WORDS =
  'Server-Sent Events keep one HTTP response open and write each event as a few lines of text. ' +
  'When a phone changes network or a tab reloads, the browser reconnects and sends the id of the last event it saw. ' +
  'An ssekit resumable stream keeps every token of this answer with its own id, in memory or in Redis, ' +
  'so the reconnect picks up right after the last token you got, on this server or on another one, ' +
  'and the model behind it runs once, however often the connection drops. ';

/** Tokens of the answer to `prompt`: words of a fixed text, `count` of them, one every `every` ms. */
export async function* answerTokens(
  prompt: string,
  count: number,
  every: number,
): AsyncGenerator<{ event: 'token'; data: Events['token'] }, { tokens: number }> {
  const words = `You asked: “${prompt}”. ${WORDS.repeat(Math.ceil(count / 60))}`.split(/(?<= )/);
  for (let i = 1; i <= count; i++) {
    await new Promise((resolve) => setTimeout(resolve, every));
    yield { event: 'token', data: { i, text: words[(i - 1) % words.length] as string } };
  }
  return { tokens: count };
}

/** Reads `{ prompt }`; `undefined` when it is not one. */
export function readAsk(body: unknown): string | undefined {
  const prompt = (body as { prompt?: unknown } | undefined)?.prompt;
  return typeof prompt === 'string' && prompt.trim() && prompt.length <= 200 ? prompt.trim() : undefined;
}

/**
 * CORS headers for the assistant's routes when the page of the other demo server (`peer`)
 * resumes or stops an answer here; none for any other origin.
 */
export function assistantCors(origin: string | undefined, peer: string | undefined): Record<string, string> {
  if (!origin || !peer || !sameOrigin(origin, peer)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-headers': 'authorization, last-event-id',
    'access-control-allow-methods': 'GET, DELETE',
    'access-control-max-age': '600',
    vary: 'origin',
  };
}

/** `localhost` and `127.0.0.1` are the same machine: the page may be opened under either. */
function sameOrigin(origin: string, peer: string): boolean {
  const local = (url: string) => {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname === 'localhost' ? '127.0.0.1' : parsed.hostname}:${parsed.port}`;
  };
  try {
    return local(origin) === local(peer);
  } catch {
    return false;
  }
}
