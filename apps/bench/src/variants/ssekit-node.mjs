// ssekit core on plain node:http, no framework: the broker's own cost beside the baseline.
import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { brokerPublish, splitOptions, topicOf } from './topics.mjs';

export function create(options) {
  const { ids, broker: brokerOptions } = splitOptions(options);
  const broker = createBroker({ heartbeatInterval: 0, ...brokerOptions });
  const server = http.createServer((req, res) => {
    const topic = topicOf(req.url);
    broker
      .stream(toStreamRequest(req), topic === undefined ? {} : { topics: [topic] }, () => createNodeSink(res))
      .catch(() => res.destroy());
  });
  return { server, count: () => broker.stats().connections, publish: brokerPublish(broker, { ids }) };
}
