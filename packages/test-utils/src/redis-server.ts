import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './children.js';
import { startWatched, type Watched } from './watched.js';

/**
 * A redis-server of the test's own, on a free port, with its data in a temporary directory. It
 * runs under a small shell watchdog (see watched.ts), so even a worker killed with SIGKILL leaves
 * no redis-server behind.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, or `rediss://…` with `tls`. */
  readonly url: string;
  readonly dir: string;
  /** With `tls`: the self-signed certificate (PEM) to trust, as `tls: { ca }`. */
  readonly ca: string | undefined;
  /** Kills the server at once (`SIGKILL`), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (reloading the AOF when `persistent`). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Keep data across restarts: an append-only file fsynced on every write. */
  persistent?: boolean;
  /**
   * Serve TLS only (`--tls-port`, no plain port), with a self-signed certificate for 127.0.0.1
   * made with `openssl` in the server's directory.
   */
  tls?: boolean;
  /** More redis-server arguments (`--cluster-enabled yes`, `--replicaof …`). */
  args?: readonly string[];
}

const run = promisify(execFile);

/** Starts a redis-server for one test file. Never relies on a system Redis. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ssekit-redis-'));
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let ca: string | undefined;
  const tlsArgs: string[] = [];
  if (options.tls) {
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    // An EC key: generated in milliseconds, where RSA takes a while on a busy machine.
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    ca = await readFile(cert, 'utf8');
    tlsArgs.push('--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no');
  }
  let server: Watched | undefined;
  let port = 0;

  const launch = async () => {
    const ports = options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
    const args = [...ports, '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--logfile', ''];
    server = await startWatched('redis-server', [...args, ...tlsArgs, ...(options.args ?? [])], /Ready to accept connections/);
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 4) {
        await rm(dir, { recursive: true, force: true });
        throw error; // the port was taken between the probe and the bind: try another
      }
    }
  }

  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir,
    ca,
    kill: async () => server?.signal('SIGKILL'),
    async restart() {
      await server?.signal('SIGKILL');
      await launch();
    },
    async stop() {
      await server?.signal('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `redis-cli -p <port> <args…>` and resolves to its output (one reply element a line). */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}
