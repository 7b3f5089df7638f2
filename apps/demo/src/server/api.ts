import type { Broker, Connection } from '@ssekit/core';
import {
  type DropRequest,
  type Events,
  type Framework,
  LOBBY,
  type NotifyRequest,
  type NotifyResponse,
  USER_NAME,
} from '../shared/events.js';
import { type User, userFromAuthorization } from './auth.js';

/** What a route answers, whatever the framework: a status and an optional JSON body. */
export interface ApiResult {
  status: number;
  body?: NotifyResponse | { error: string };
}

const MAX_TEXT = 280;

/**
 * The demo's routes without a framework: each framework file parses the request, calls these and
 * writes the result. Keeping them here is what makes the four servers behave the same.
 */
export function createApi(broker: Broker<Events, User>, framework: Framework, peer?: string) {
  return {
    /**
     * Greets a stream that just opened: the page learns its session id (for "drop") and the
     * framework, then who is online (the lobby's presence; join/leave notices keep it current).
     */
    welcome(connection: Connection | Connection<Events, User>): void {
      if (connection.closed) return; // the client left while the stream was opening
      const hello: Events['hello'] = { sessionId: connection.id, user: connection.clientId, framework, ...(peer && { peer }) };
      connection.send({ event: 'hello', data: hello });
      void broker
        .presence(LOBBY)
        .then(({ clients }) => connection.send({ event: 'presence', data: { users: clients.map((client) => client.clientId) } }))
        .catch(() => {}); // a stream without the lobby (or already closed) has no list to show
    },

    /** `POST /api/notify`: a notification to every open session of one user, and to no one else. */
    async notify(authorization: string | undefined, body: unknown): Promise<ApiResult> {
      const user = userFromAuthorization(authorization);
      if (!user) return unauthorized;
      const { to, text } = (body ?? {}) as Partial<NotifyRequest>;
      if (typeof to !== 'string' || !USER_NAME.test(to)) return invalid('`to` must be a user name such as "grace".');
      if (typeof text !== 'string' || !text.trim() || text.length > MAX_TEXT)
        return invalid(`\`text\` must be 1 to ${MAX_TEXT} characters.`);
      const id = await broker.send(to, { event: 'notification', data: { from: user.id, to, text: text.trim(), at: Date.now() } });
      const sessions = Array.from(broker.connections()).filter((connection) => connection.clientId === to).length;
      return { status: 202, body: { id, sessions } };
    },

    /**
     * `POST /api/drop`: closes one of the caller's own sessions, as a flaky network would. The
     * client reconnects with `Last-Event-ID` and the broker replays what it missed.
     */
    drop(authorization: string | undefined, body: unknown): ApiResult {
      const user = userFromAuthorization(authorization);
      if (!user) return unauthorized;
      const { sessionId } = (body ?? {}) as Partial<DropRequest>;
      for (const connection of broker.connections()) {
        if (connection.id === sessionId && connection.clientId === user.id) {
          connection.close();
          return { status: 204 };
        }
      }
      return { status: 404, body: { error: 'No open session with that id for this user.' } };
    },
  };
}

/** The routes' logic, as {@link createApi} returns it. */
export type Api = ReturnType<typeof createApi>;

const unauthorized: ApiResult = { status: 401, body: { error: 'Send `Authorization: Bearer <user>`.' } };
const invalid = (error: string): ApiResult => ({ status: 400, body: { error } });
