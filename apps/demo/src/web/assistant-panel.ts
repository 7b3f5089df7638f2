import { type Client, createClient } from '@ssekit/client';
import type { AskRequest, Events } from '../shared/events.js';
import { byId } from './dom.js';
import { createSeqState, trackSeq } from './seq.js';
import type { DemoState } from './state.js';

/**
 * The assistant card: asks for an answer (`POST /api/answers`, a resumable stream on the server),
 * shows it as its tokens arrive, and proves that none is missing or repeated when the connection
 * drops: "Drop" aborts this tab's request as a network failure would, and `@ssekit/client`
 * resumes the answer by `GET` with `Last-Event-ID`, on this server or, with the switch, on the
 * other demo server process (both keep answers in the same Redis). The answer is generated once.
 */
export function createAssistantPanel(state: DemoState) {
  const form = byId<HTMLFormElement>('ask-form');
  const prompt = byId<HTMLInputElement>('ask-prompt');
  const answer = byId('answer');
  const status = byId('answer-status');
  const check = byId('answer-check');
  const drop = byId<HTMLButtonElement>('answer-drop');
  const stop = byId<HTMLButtonElement>('answer-stop');
  const usePeer = byId<HTMLInputElement>('answer-peer');
  const peerLabel = byId('answer-peer-label');
  let client: Client<Events> | undefined;
  /** Aborts the request in flight: a dropped connection, as far as the client can tell. */
  let dropCurrent: (() => void) | undefined;

  const droppableFetch: typeof fetch = (input, init) => {
    const cut = new AbortController();
    dropCurrent = () => cut.abort(new TypeError('dropped by the demo'));
    const signal = init?.signal ? AbortSignal.any([init.signal, cut.signal]) : cut.signal;
    return fetch(input, { ...init, signal });
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    client?.close();
    const body: AskRequest = { prompt: prompt.value || 'What does a resumable stream do?' };
    state.assistant = { ...createAnswerState(), status: 'streaming' };
    answer.textContent = '';
    const current = createClient<Events>('/api/answers', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${state.user}`, 'content-type': 'application/json' },
      fetch: droppableFetch,
      retryDelay: 250,
      retryJitter: 0,
      // The resume goes to the other server process when the switch is on.
      resumeUrl: (id) => (usePeer.checked && state.peer ? `${state.peer}/api/answers/${id}` : `/api/answers/${id}`),
    });
    client = current;
    current.on('token', ({ i, text }) => {
      const before = state.assistant.seq.last ?? 0;
      trackSeq(state.assistant.seq, i);
      if (i === before + 1) answer.append(text);
      render();
    });
    current.onLifecycle('open', ({ response }) => {
      state.assistant.id = current.streamId;
      state.assistant.servedBy.push(new URL(response.url).port);
      render();
    });
    current.onLifecycle('finish', ({ data }) => {
      state.assistant.finish = (data as { reason?: string }).reason ?? 'done';
    });
    current.onLifecycle('close', ({ reason }) => {
      state.assistant.status = reason === 'error' ? 'error' : 'done';
      render();
    });
    render();
  });

  drop.addEventListener('click', () => {
    state.assistant.drops++;
    dropCurrent?.();
    render();
  });

  stop.addEventListener('click', async () => {
    const id = state.assistant.id;
    if (!id) return;
    await fetch(`/api/answers/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${state.user}` } }).catch(() => {});
  });

  function render(): void {
    const a = state.assistant;
    usePeer.disabled = !state.peer;
    peerLabel.textContent = state.peer
      ? `resume on the other server (${new URL(state.peer).port})`
      : 'resume on another server (start with Redis)';
    drop.disabled = a.status !== 'streaming';
    stop.disabled = a.status !== 'streaming' || !a.id;
    status.textContent =
      a.status === 'idle'
        ? 'ask something'
        : `${a.status}${a.finish ? ` (${a.finish})` : ''} · ${a.seq.received} tokens · ${a.drops} drops · served by :${a.servedBy.join(' → :')}`;
    const bad = a.seq.missing.length > 0 || a.seq.duplicates > 0;
    check.dataset.ok = String(!bad && a.seq.received > 0);
    check.textContent = bad
      ? `missing ${a.seq.missing.length} · repeated ${a.seq.duplicates}`
      : a.seq.received > 0
        ? `every token once, in order (${a.seq.received})`
        : '';
  }

  render();
  return { render };
}

/** What the page knows about the current answer. */
export interface AnswerState {
  id: string | undefined;
  status: 'idle' | 'streaming' | 'done' | 'error';
  /** Token numbers seen: a hole or a repeat would show here. */
  seq: ReturnType<typeof createSeqState>;
  drops: number;
  /** The port of the server that answered each request: the POST, then every resume. */
  servedBy: string[];
  /** How it ended (`complete`, `stopped`, …), from `ssekit:done`/`ssekit:error`. */
  finish: string | undefined;
}

export const createAnswerState = (): AnswerState => ({
  id: undefined,
  status: 'idle',
  seq: createSeqState(),
  drops: 0,
  servedBy: [],
  finish: undefined,
});
