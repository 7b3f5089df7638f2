import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { expressSse } from '@ssekit/express';
import express from 'express';
import { brokerPublish, splitOptions } from './topics.mjs';

export function create(options) {
  const { ids, broker: brokerOptions } = splitOptions(options);
  const broker = createBroker({ heartbeatInterval: 0, ...brokerOptions });
  const app = express();
  app.use(expressSse({ broker }));
  app.get('/', async (req, res) => {
    const topic = req.query.topic;
    await (topic === undefined ? res.sse() : res.sse({ topics: [topic] }));
  });
  return { server: http.createServer(app), count: () => broker.stats().connections, publish: brokerPublish(broker, { ids }) };
}
