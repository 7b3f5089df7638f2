import { createClient } from '@ssekit/client';
import { type Events, updateOnline } from '../shared/events.js';
import { createAssistantPanel } from './assistant-panel.js';
import { createConnectionPanel } from './connection-panel.js';
import { createLog } from './log.js';
import { createMetricsPanel } from './metrics-panel.js';
import { createNotificationsPanel } from './notifications-panel.js';
import { resetSeq, trackSeq } from './seq.js';
import { createState } from './state.js';
import { readUser } from './user.js';

const { user, peer } = readUser(location.search);
const state = createState(user);
window.ssekitDemo = state;
const log = createLog();
const metrics = createMetricsPanel();
const connection = createConnectionPanel(state);
const notifications = createNotificationsPanel(state, peer);
const assistant = createAssistantPanel(state);

// The same `Events` map types the server's broker: `data` below is checked against it.
const client = createClient<Events>('/api/events', {
  // Called before every (re)connection; EventSource could not send this header at all.
  headers: () => ({ authorization: `Bearer ${user}` }),
});

/** True from a reconnect until its `hello`: what arrives meanwhile is the broker's replay. */
let replaying = false;
/** Counts a server event; true when it is one the broker replayed. */
const received = (id: string | undefined): boolean => {
  state.events++;
  state.lastEventId = client.lastEventId;
  if (replaying && id !== undefined) state.caughtUp++;
  return replaying && id !== undefined;
};

client.on('hello', (data) => {
  replaying = false;
  state.sessionId = data.sessionId;
  state.framework = data.framework;
  state.peer = data.peer;
  assistant.render();
  document.title = `ssekit demo · ${data.framework} · ${user}`;
  log.add('hello', `session ${data.sessionId} for ${data.user} on ${data.framework}`);
  connection.render();
});
client.on('tick', (data, event) => {
  const replayed = received(event.id);
  trackSeq(state.seq, data.seq);
  log.add('tick', `seq ${data.seq}`, event.id, replayed);
  connection.render();
});
client.on('metrics', (data, event) => {
  const replayed = received(event.id);
  metrics.update(data);
  const text = `${data.eventsPerSecond} events/s · ${data.connections} streams · loop p99 ${data.loopDelayMs} ms`;
  log.add('metrics', text, event.id, replayed);
  connection.render();
});
client.on('notification', (data, event) => {
  const replayed = received(event.id);
  state.inbox.push(data);
  log.add('notification', `${data.from} → ${data.to}: ${data.text}`, event.id, replayed);
  notifications.render();
});
client.on('presence', (data) => {
  state.online = data.users;
  log.add('presence', `online: ${data.users.join(', ') || 'nobody'}`);
  notifications.render();
});
client.on('ssekit:join', (data, event) => {
  const replayed = received(event.id);
  state.online = updateOnline(state.online, data.clientId, true);
  log.add('presence', `${data.clientId} joined`, event.id, replayed);
  notifications.render();
});
client.on('ssekit:leave', (data, event) => {
  const replayed = received(event.id);
  state.online = updateOnline(state.online, data.clientId, false);
  log.add('presence', `${data.clientId} left`, event.id, replayed);
  notifications.render();
});

client.onLifecycle('open', () => {
  state.opens++;
  state.status = 'open';
  if (state.opens > 1) {
    state.reconnects++;
    state.caughtUp = 0;
    replaying = true;
  }
  log.add('client', state.opens > 1 ? `reconnected with Last-Event-ID ${client.lastEventId || '(none)'}` : 'stream open');
  connection.render();
});
client.onLifecycle('reconnecting', ({ attempt, delay }) => {
  state.status = 'reconnecting';
  state.sessionId = undefined;
  log.add('client', `reconnecting in ${delay} ms (attempt ${attempt})`);
  connection.render();
});
client.onLifecycle('gap', ({ reason }) => {
  // The history could not cover the outage (or the server restarted): start counting afresh.
  state.gaps++;
  resetSeq(state.seq);
  log.add('client', `gap: the server could not replay (${reason})`);
});
client.onLifecycle('error', (error) => log.add('client', `${error.code}: ${error.message}`));
client.onLifecycle('close', ({ reason }) => {
  state.status = 'closed';
  log.add('client', `closed (${reason})`);
  connection.render();
});
addEventListener('pagehide', () => client.close());
