import type { Broker } from '@ssekit/core';
import { type Events, type Framework, TOPICS } from '../shared/events.js';
import { type Api, createApi } from './api.js';
import type { User } from './auth.js';
import { createDemoBroker } from './broker.js';
import { createPrometheusMetrics, type Scrape } from './prometheus.js';
import { type PublisherOptions, startPublishers } from './publishers.js';

/** Everything a framework file needs: the broker, the topics to stream and the routes' logic. */
export interface Demo extends Api {
  readonly framework: Framework;
  readonly broker: Broker<Events, User>;
  readonly topics: string[];
  /** `GET /metrics`: ssekit's metrics for Prometheus. */
  metrics(): Promise<Scrape>;
  /** Stops the publishers and closes the broker gracefully (every stream ends). */
  close(): Promise<void>;
}

/** Creates the broker, starts the publishers and the routes' logic for one framework's server. */
export function createDemo(framework: Framework, options: PublisherOptions = {}): Demo {
  const prometheus = createPrometheusMetrics();
  const broker = createDemoBroker();
  const stopPublishers = startPublishers(broker, options);
  return {
    ...createApi(broker, framework),
    framework,
    broker,
    topics: TOPICS,
    metrics: () => prometheus.scrape(),
    async close() {
      stopPublishers();
      await broker.close();
      await prometheus.close();
    },
  };
}
