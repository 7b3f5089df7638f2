// The load generator: raw sockets, every event's sequence number checked.
import net from 'node:net';

/** Opens `count` raw SSE clients to 127.0.0.1:port in batches and counts their events. */
export async function openClients(port, count, batch = 250) {
  const clients = [];
  for (let opened = 0; opened < count; opened += batch) {
    const size = Math.min(batch, count - opened);
    clients.push(...(await Promise.all(Array.from({ length: size }, () => openClient(port)))));
  }
  return clients;
}

function openClient(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const client = { socket, received: 0, lastSeq: -1, errors: 0, tail: '', headed: false };
    socket.setEncoding('latin1');
    socket.on('data', (text) => {
      let buffer = client.tail + text;
      if (!client.headed) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) {
          client.tail = buffer;
          return;
        }
        client.headed = true;
        buffer = buffer.slice(end + 4);
        resolve(client);
      }
      const pattern = /"s":(\d+)/g;
      let consumed = 0;
      for (const match of buffer.matchAll(pattern)) {
        const seq = Number(match[1]);
        if (client.lastSeq !== -1 && seq !== client.lastSeq + 1) client.errors++;
        client.lastSeq = seq;
        client.received++;
        consumed = match.index + match[0].length;
      }
      client.tail = buffer.slice(consumed).slice(-64);
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n'));
  });
}
