// The floor: raw socket writes of pre-framed HTTP/1.1 chunks, framed once per event. No HTTP
// machinery at all: the practical limit of Node for this workload. `?topic=` subscribes by topic.
import net from 'node:net';
import { frame } from './event.mjs';
import { createSubscribers, topicOf } from './topics.mjs';

const HEAD = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n',
);

export function create() {
  const subscribers = createSubscribers();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let head = '';
    const onData = (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.write(HEAD);
      socket.on('close', subscribers.add(socket, topicOf(head.slice(0, head.indexOf('\r\n')))));
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  return {
    server,
    count: () => subscribers.all.size,
    publish(data, seq, topic) {
      const body = Buffer.from(frame(seq, data));
      const framed = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]);
      for (const socket of subscribers.of(topic)) socket.write(framed);
    },
  };
}
