import { type FormEvent, useState } from 'react';
import { type Events, updateOnline } from '../shared/events.js';
import { post } from '../web/api.js';
import { resetSeq, trackSeq } from '../web/seq.js';
import type { ReactDemoState } from './state.js';
import { useDemoStream } from './stream.js';

const STATUS_TEXT = { idle: 'idle', connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', closed: 'closed' };

/** The header: who this tab is, which framework serves it, and the shared stream's state. */
export function Header({ state }: { state: ReactDemoState }) {
  const [framework, setFramework] = useState<string>();
  const { state: status } = useDemoStream(state, {
    events: {
      hello: (data) => {
        state.framework = data.framework;
        setFramework(data.framework);
      },
    },
  });
  state.status = status;
  return (
    <header className="top">
      <div className="brand">
        <span>ssekit</span>
        <em>React demo</em>
      </div>
      <div className="badges">
        <span className="badge" id="framework">
          {framework ? `served by ${framework}` : '…'}
        </span>
        <span className="badge">
          you are <b id="user">{state.user}</b>
        </span>
        <span className="status" id="status" data-state={status}>
          {STATUS_TEXT[status]}
        </span>
      </div>
    </header>
  );
}

/** Session, reconnects and the tick sequence; "Drop my connection" asks the server to close it. */
export function ConnectionCard({ state }: { state: ReactDemoState }) {
  const [session, setSession] = useState<string>();
  const [, setTicks] = useState(0);
  const { error, lastGap } = useDemoStream(state, {
    events: {
      hello: (data) => {
        state.sessionId = data.sessionId;
        setSession(data.sessionId);
      },
      tick: (data) => {
        trackSeq(state.seq, data.seq);
        setTicks(state.seq.received);
      },
    },
    onOpen: () => {
      state.opens++;
      if (state.opens > 1) state.reconnects++;
    },
    onReconnecting: () => {
      state.sessionId = undefined;
      setSession(undefined);
    },
    onGap: () => {
      // The server could not replay what was missed: count afresh.
      state.gaps++;
      resetSeq(state.seq);
    },
  });
  const { received, last, missing, duplicates } = state.seq;
  const ok = received > 0 && missing.length === 0 && duplicates === 0;
  const drop = () => {
    if (session) post('/api/drop', state.user, { sessionId: session }).catch(() => {});
  };
  return (
    <section className="card connection">
      <h2>Connection</h2>
      <dl>
        <dt>Session</dt>
        <dd id="session">{session ?? '–'}</dd>
        <dt>Reconnects</dt>
        <dd id="reconnects">{state.reconnects === 0 ? 'none yet' : state.reconnects}</dd>
        <dt>Ticks</dt>
        <dd id="ticks">{last === undefined ? '–' : `${received} (last seq ${last})`}</dd>
        <dt>Last error</dt>
        <dd>{error ? error.code : '–'}</dd>
      </dl>
      <p className="continuity" id="continuity" data-ok={String(ok)}>
        {ok ? `no gaps in ${received} ticks` : missing.length > 0 ? `missing ${missing.length}` : 'waiting for ticks…'}
        {lastGap ? ` · gap (${lastGap.reason})` : ''}
      </p>
      <button type="button" id="drop" disabled={!session} onClick={drop}>
        Drop my connection
      </button>
      <p className="hint">
        Every panel of this page calls <code>useEventStream('/api/events')</code>: they share one connection.
      </p>
    </section>
  );
}

/** The last metrics sample: `lastEvent` of the `metrics` events, re-rendered on each. */
export function MetricsCard({ state }: { state: ReactDemoState }) {
  const { lastEvent } = useDemoStream(state, { events: ['metrics'] });
  const sample = lastEvent?.event === 'metrics' ? lastEvent.parsed : undefined;
  state.metrics = sample;
  const rows: Array<[string, keyof Events['metrics'], string]> = [
    ['events / s', 'eventsPerSecond', ''],
    ['open streams', 'connections', ''],
    ['loop delay p99', 'loopDelayMs', ' ms'],
    ['heap used', 'heapUsedMb', ' MB'],
  ];
  return (
    <section className="card metrics">
      <h2>
        Server metrics <span>the last sample, from lastEvent</span>
      </h2>
      <dl>
        {rows.map(([label, key, unit]) => (
          <div key={key} data-metric={key}>
            <dt>{label}</dt>
            <dd>
              <strong>{sample ? sample[key] : '–'}</strong>
              {unit}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** Who is online, the inbox, and a form to notify another user. */
export function Notifications({ state, peer }: { state: ReactDemoState; peer: string }) {
  const [online, setOnline] = useState<string[]>([]);
  const [inbox, setInbox] = useState<Array<Events['notification']>>([]);
  const [problem, setProblem] = useState('');
  useDemoStream(state, {
    events: {
      presence: (data) => setOnline(data.users),
      'ssekit:join': (data) => setOnline((online) => updateOnline(online, data.clientId, true)),
      'ssekit:leave': (data) => setOnline((online) => updateOnline(online, data.clientId, false)),
      notification: (data) => {
        state.inbox.push(data);
        setInbox((notes) => [data, ...notes].slice(0, 20));
      },
    },
  });
  const send = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setProblem('');
    await post('/api/notify', state.user, { to: form.get('to'), text: form.get('text') }).catch((error: Error) =>
      setProblem(error.message),
    );
  };
  return (
    <section className="card notifications">
      <h2>
        Notifications <span>per user</span>
      </h2>
      <div className="online">online: {online.join(', ') || 'nobody'}</div>
      <form id="notify-form" autoComplete="off" onSubmit={send}>
        <input name="to" aria-label="To" defaultValue={peer} required />
        <input name="text" aria-label="Message" placeholder="Say hello…" maxLength={280} required />
        <button type="submit">Send</button>
      </form>
      <p className="error" role="alert">
        {problem}
      </p>
      <ul className="inbox" id="notifications">
        {inbox.map((note) => (
          <li key={`${note.at}-${note.from}`} className="in">
            <b>{note.from}</b> {note.text}
          </li>
        ))}
      </ul>
    </section>
  );
}
