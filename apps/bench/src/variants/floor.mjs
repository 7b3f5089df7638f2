// The floor: raw socket writes of pre-framed HTTP/1.1 chunks, framed once per event. No HTTP
// machinery at all: the practical limit of Node for this workload.
import net from 'node:net';
import { frame } from './event.mjs';

const HEAD = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n',
);

export function create() {
  const clients = new Set();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let head = '';
    const onData = (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.write(HEAD);
      clients.add(socket);
    };
    socket.on('data', onData);
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => {});
  });
  return {
    server,
    count: () => clients.size,
    publish(data, seq) {
      const body = Buffer.from(frame(seq, data));
      const framed = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]);
      for (const socket of clients) socket.write(framed);
    },
  };
}
