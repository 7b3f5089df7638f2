import { EventStreamProvider, type StreamOptions } from '@ssekit/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { readUser } from '../web/user.js';
import { ConnectionCard, Header, MetricsCard, Notifications } from './panels.js';
import { createReactDemoState } from './state.js';

// The React page: the same server, events and features as the plain page (`/`), built with
// `@ssekit/react`. Four components subscribe to `/api/events`; they share one connection.
const { user, peer } = readUser(location.search);
const state = createReactDemoState(user);
window.ssekitReactDemo = state;

// Called before every (re)connection: the stream is authenticated by a header EventSource cannot send.
const options: StreamOptions = { headers: () => ({ authorization: `Bearer ${user}` }) };

document.title = `ssekit demo · React · ${user}`;
createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <EventStreamProvider options={options}>
      <Header state={state} />
      <main className="grid">
        <div className="column">
          <ConnectionCard state={state} />
          <Notifications state={state} peer={peer} />
        </div>
        <div className="column">
          <MetricsCard state={state} />
        </div>
      </main>
    </EventStreamProvider>
  </StrictMode>,
);
