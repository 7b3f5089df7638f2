// The HTTP/2 load generator: many event streams multiplexed on a few TLS sessions, as a browser
// with many tabs on one origin does; every event sequence-checked as over HTTP/1.1.
import http2 from 'node:http2';
import { eventReader } from './load.mjs';

/** Streams per session, as browsers and servers commonly allow (SETTINGS_MAX_CONCURRENT_STREAMS). */
export const STREAMS_PER_SESSION = 100;
/** Receive windows as large as a browser's, so flow control does not pace the fan-out. */
const WINDOW = 16 * 2 ** 20;

/** Opens `count` event streams to https://127.0.0.1:port, `perSession` to a session. */
export async function openH2Clients(port, count, perSession = STREAMS_PER_SESSION) {
  const clients = [];
  for (let opened = 0; opened < count; opened += perSession) {
    const session = await openSession(port);
    const size = Math.min(perSession, count - opened);
    clients.push(...(await Promise.all(Array.from({ length: size }, () => openStream(session)))));
  }
  return clients;
}

function openSession(port) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      rejectUnauthorized: false, // the bench's own self-signed certificate
      settings: { initialWindowSize: WINDOW },
    });
    session.once('error', reject);
    session.once('connect', () => {
      session.removeListener('error', reject);
      session.on('error', () => {}); // a session the runner destroys may report it; streams count
      session.setLocalWindowSize(WINDOW);
      resolve(session);
    });
  });
}

/** One event stream on `session`; resolves once its response head arrived with status 200. */
function openStream(session) {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': '/', accept: 'text/event-stream' });
    const client = { session, stream, received: 0, next: -1, errors: 0, recordLatency: false, closed: false };
    stream.setEncoding('latin1');
    stream.on('data', eventReader(client));
    stream.on('close', () => {
      client.closed = true;
    });
    stream.on('error', reject);
    stream.on('response', (headers) => {
      if (headers[':status'] === 200) resolve(client);
      else reject(new Error(`HTTP/2 stream answered ${headers[':status']}`));
    });
  });
}
