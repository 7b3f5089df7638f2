import { byId, clock, h } from './dom.js';

/** Keeps the page light however long it stays open. */
const MAX_ROWS = 200;

/**
 * The live event log, newest first. `kind` is the event name (or `client` for the client's own
 * lifecycle) and styles the row; the checkboxes above the log hide ticks and metrics.
 */
export function createLog() {
  const list = byId<HTMLOListElement>('log');
  for (const kind of ['tick', 'metrics']) {
    const toggle = byId<HTMLInputElement>(`show-${kind}`);
    const apply = () => list.classList.toggle(`hide-${kind}`, !toggle.checked);
    toggle.addEventListener('change', apply);
    apply();
  }
  return {
    /** Adds a row; `replayed` marks events the broker re-sent from its history after a reconnect. */
    add(kind: string, text: string, id?: string, replayed = false): void {
      const row = h(
        'li',
        { class: `row ${kind}` },
        h('time', {}, clock()),
        h('span', { class: 'chip' }, kind),
        h(
          'span',
          { class: 'text' },
          text,
          replayed ? h('em', { class: 'replayed', title: 'missed while disconnected' }, 'replayed') : null,
        ),
        id ? h('span', { class: 'id', title: 'event id (sent back as Last-Event-ID)' }, id) : null,
      );
      list.prepend(row);
      while (list.children.length > MAX_ROWS) list.lastElementChild?.remove();
    },
  };
}
