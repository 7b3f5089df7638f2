import type { Broker, ResumableStore, StreamSource } from '@ssekit/core';
import { type Events, type Framework, TOPICS } from '../shared/events.js';
import { type Api, type ApiResult, createApi } from './api.js';
import { answerTokens, assistantCors, readAsk } from './assistant.js';
import { type User, userFromAuthorization } from './auth.js';
import { createDemoBroker } from './broker.js';
import { createPrometheusMetrics, type Scrape } from './prometheus.js';
import { type PublisherOptions, startPublishers } from './publishers.js';

/** Options of {@link createDemo}. */
export interface DemoOptions extends PublisherOptions {
  /** Where assistant answers are kept: Redis, shared with the other demo server. Default: memory. */
  store?: ResumableStore;
  /** The other demo server's URL (`http://localhost:3001`), whose page may resume answers here. */
  peer?: string;
  /** Tokens in an assistant answer. @default 240 */
  answerTokens?: number;
  /** Milliseconds between two tokens. @default 25 */
  tokenEvery?: number;
}

/** Everything a framework file needs: the broker, the topics to stream and the routes' logic. */
export interface Demo extends Api {
  readonly framework: Framework;
  readonly broker: Broker<Events, User>;
  readonly topics: string[];
  /** The other demo server, if any (sent to pages in `hello`). */
  readonly peer: string | undefined;
  /** `POST /api/answers`: the answer's token source, or a 400 for a bad body. */
  ask(body: unknown): StreamSource | ApiResult;
  /** `DELETE /api/answers/:id`: stops the answer, wherever it is generated, if it is the caller's. */
  stopAnswer(authorization: string | undefined, id: string): Promise<ApiResult>;
  /** CORS headers for the assistant's routes, for the other server's page. */
  cors(origin: string | undefined): Record<string, string>;
  /** `GET /metrics`: ssekit's metrics for Prometheus. */
  metrics(): Promise<Scrape>;
  /** Stops the publishers and closes the broker gracefully (every stream ends). */
  close(): Promise<void>;
}

/** Creates the broker, starts the publishers and the routes' logic for one framework's server. */
export function createDemo(framework: Framework, options: DemoOptions = {}): Demo {
  const prometheus = createPrometheusMetrics();
  const broker = createDemoBroker(options.store);
  const stopPublishers = startPublishers(broker, options);
  const api = createApi(broker, framework, options.peer);
  return {
    ...api,
    framework,
    broker,
    topics: TOPICS,
    peer: options.peer,
    ask(body) {
      const prompt = readAsk(body);
      if (!prompt) return { status: 400, body: { error: '`prompt` must be 1 to 200 characters.' } };
      return answerTokens(prompt, options.answerTokens ?? 240, options.tokenEvery ?? 25);
    },
    async stopAnswer(authorization, id) {
      const user = userFromAuthorization(authorization);
      if (!user) return { status: 401, body: { error: 'Send `Authorization: Bearer <user>`.' } };
      return (await broker.stopStream(id, user.id)) ? { status: 204 } : { status: 404, body: { error: 'No such answer of yours.' } };
    },
    cors: (origin) => assistantCors(origin, options.peer),
    metrics: () => prometheus.scrape(),
    async close() {
      stopPublishers();
      await broker.close();
      await options.store?.close();
      await prometheus.close();
    },
  };
}

/** True when `ask` gave a token source rather than an error answer. */
export function isSource(value: StreamSource | ApiResult): value is StreamSource {
  return !('status' in value);
}
