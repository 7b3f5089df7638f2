// ssekit core on plain node:http, no framework: the broker's own cost beside the baseline.
import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { EVENT_TYPE } from './event.mjs';

export function create() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const server = http.createServer((req, res) => {
    broker.stream(toStreamRequest(req), {}, () => createNodeSink(res)).catch(() => res.destroy());
  });
  return { server, count: () => broker.stats().connections, publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }) };
}
