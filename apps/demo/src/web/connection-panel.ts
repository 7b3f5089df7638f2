import { post } from './api.js';
import { byId } from './dom.js';
import type { DemoState } from './state.js';

const STATUS_TEXT = { connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', closed: 'closed' };

/**
 * The connection card and the header badges: stream status, session, reconnects, and whether the
 * tick sequence has a hole. "Drop my connection" asks the server to close this session's stream.
 */
export function createConnectionPanel(state: DemoState) {
  const status = byId('status');
  const framework = byId('framework');
  const session = byId('session');
  const reconnects = byId('reconnects');
  const lastId = byId('last-id');
  const ticks = byId('ticks');
  const continuity = byId('continuity');
  const drop = byId<HTMLButtonElement>('drop');
  byId('user').textContent = state.user;

  drop.addEventListener('click', async () => {
    const sessionId = state.sessionId;
    if (!sessionId) return;
    drop.disabled = true;
    // Wait for the next `hello`: until then there is no session to drop.
    state.sessionId = undefined;
    await post('/api/drop', state.user, { sessionId }).catch(() => {
      state.sessionId = sessionId;
      render();
    });
  });

  function render(): void {
    status.dataset.state = state.status;
    status.textContent = STATUS_TEXT[state.status];
    framework.textContent = state.framework ? `served by ${state.framework}` : '…';
    session.textContent = state.sessionId ?? '–';
    reconnects.textContent =
      state.reconnects === 0 ? 'none yet' : `${state.reconnects} · caught up ${state.caughtUp} event${state.caughtUp === 1 ? '' : 's'}`;
    reconnects.classList.toggle('good', state.reconnects > 0);
    lastId.textContent = state.lastEventId || '–';
    ticks.textContent = state.seq.last === undefined ? '–' : `${state.seq.received} (last seq ${state.seq.last})`;
    const { missing, duplicates, received } = state.seq;
    const bad = missing.length > 0 || duplicates > 0;
    continuity.dataset.ok = String(!bad && received > 0);
    continuity.textContent = bad
      ? `missing ${missing.length}: ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? '…' : ''}${duplicates ? ` · ${duplicates} duplicates` : ''}`
      : received > 0
        ? `no gaps in ${received} ticks`
        : 'waiting for ticks…';
    drop.disabled = state.status !== 'open' || !state.sessionId;
  }

  render();
  return { render };
}
