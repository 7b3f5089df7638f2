// Publishes messages into a stream from another process, with the transport's headers, while the
// test process is blocked: `node publish-foreign.mjs <url> <subject> <count>`.
import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';

const [url, subject, count] = process.argv.slice(2);
const nc = await connect({ servers: url });
const js = jetstream(nc);
for (let n = 1; n <= Number(count); n++) {
  const h = headers();
  h.set('Ssekit-Channels', '["#a"]');
  h.set('Ssekit-Tag', `tag${String(n).padStart(5, '0')}`);
  await js.publish(`${subject}.e`, `data: ${n}\n\n`, { headers: h });
}
await nc.close();
