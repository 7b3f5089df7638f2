// The HTTP/2 variants' TLS: a self-signed certificate for 127.0.0.1, made once with `openssl` and
// shared with the server processes through the environment (they inherit it from the runner).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ENV = 'SSEKIT_BENCH_TLS_DIR';

/**
 * `{ key, cert }` for `http2.createSecureServer`. The first call in a process tree makes the pair
 * in a temporary directory (removed when that process exits) and names it in the environment, so
 * the servers it forks afterwards read the same pair.
 */
export function certificate() {
  let dir = process.env[ENV];
  if (!dir) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssekit-bench-tls-'));
    const owned = dir;
    process.on('exit', () => rmSync(owned, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
        ...['-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
        ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ],
      { stdio: 'ignore' },
    );
    process.env[ENV] = dir;
  }
  return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
}
