import type { Events, NotifyResponse } from '../shared/events.js';
import { post } from './api.js';
import { byId, clock, h } from './dom.js';
import type { DemoState } from './state.js';

/**
 * The notifications panel: who is online, a form that sends to one user (`POST /api/notify`, which
 * calls `broker.send(to, …)` on the server), and this user's received and sent notifications.
 */
export function createNotificationsPanel(state: DemoState, peer: string) {
  const form = byId<HTMLFormElement>('notify-form');
  const to = byId<HTMLInputElement>('notify-to');
  const text = byId<HTMLInputElement>('notify-text');
  const error = byId('notify-error');
  const list = byId<HTMLUListElement>('notifications');
  const online = byId('online');
  const choices = byId<HTMLDataListElement>('online-users');
  to.value = peer;
  const peerLink = byId<HTMLAnchorElement>('peer-link');
  peerLink.href = `?user=${peer}`;
  peerLink.textContent = `open as ${peer} ↗`;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const message = { to: to.value.trim().toLowerCase(), text: text.value };
    try {
      const answer = await post<NotifyResponse>('/api/notify', state.user, message);
      state.sent.push({ ...message, from: state.user, at: Date.now(), sessions: answer.sessions });
      text.value = '';
      render();
    } catch (problem) {
      error.textContent = (problem as Error).message;
    }
  });

  const item = (n: Events['notification'], incoming: boolean, note?: string) =>
    h(
      'li',
      { class: incoming ? 'in' : 'out', 'data-from': n.from, 'data-to': n.to },
      h('div', { class: 'meta' }, incoming ? `from ${n.from}` : `to ${n.to}`, h('time', {}, clock(n.at))),
      h('p', {}, n.text),
      note ? h('small', { class: 'note' }, note) : null,
    );

  function render(): void {
    const rows = [
      ...state.inbox.map((n) => ({ at: n.at, node: item(n, true) })),
      ...state.sent.map((n) => ({ at: n.at, node: item(n, false, n.sessions ? undefined : `${n.to} is not online`) })),
    ].sort((a, b) => b.at - a.at);
    list.replaceChildren(...rows.map((row) => row.node));
    if (rows.length === 0) list.append(h('li', { class: 'empty' }, `Nothing yet. Open a second tab as ${peer} and send a note.`));
    online.replaceChildren(...state.online.map((name) => h('span', { class: name === state.user ? 'you' : '' }, name)));
    choices.replaceChildren(...state.online.filter((name) => name !== state.user).map((name) => h('option', { value: name })));
  }

  render();
  return { render };
}
