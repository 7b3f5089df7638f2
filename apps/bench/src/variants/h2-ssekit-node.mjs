// ssekit core over HTTP/2: the Node bridge on `http2.createSecureServer`'s compat responses.
import http2 from 'node:http2';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { certificate } from '../tls.mjs';
import { EVENT_TYPE } from './event.mjs';

export function create() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const server = http2.createSecureServer(certificate(), (req, res) => {
    broker.stream(toStreamRequest(req), {}, () => createNodeSink(res)).catch(() => res.stream.destroy());
  });
  return { server, count: () => broker.stats().connections, publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }) };
}
