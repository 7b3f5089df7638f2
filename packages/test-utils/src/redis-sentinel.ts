import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './children.js';
import { type RedisServer, redisCli, startRedis } from './redis-server.js';
import { waitUntil } from './wait.js';
import { startWatched, type Watched } from './watched.js';

/** A master, its replica and `redis-sentinel`s watching them, all the test's own. */
export interface RedisSentinels {
  /** The master name the sentinels monitor. */
  readonly name: string;
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinelPorts: readonly number[];
  /** `redis+sentinel://127.0.0.1:<port>,…/<name>`. */
  readonly url: string;
  /** The server the sentinels name as master now (answering as one). */
  currentMaster(): Promise<RedisServer>;
  /**
   * Waits until the sentinels name another master than `old` and it answers as a master,
   * then resolves to it.
   */
  failedOver(old: RedisServer, timeout?: number): Promise<RedisServer>;
  /** Stops the sentinels and both servers. */
  stop(): Promise<void>;
}

export interface RedisSentinelOptions {
  /** How many sentinels (the quorum is a majority of them). @default 1 */
  sentinels?: number;
  /** `down-after-milliseconds`: how long the master may be unreachable before a failover. */
  downAfter?: number;
}

/**
 * Starts a master, a replica of it (in sync before this resolves) and `redis-sentinel`s that
 * monitor it with a short `down-after-milliseconds`, and resolves once every sentinel knows the
 * replica (a failover needs one to promote).
 */
export async function startRedisSentinels(options: RedisSentinelOptions = {}): Promise<RedisSentinels> {
  const name = 'ssekit';
  const count = options.sentinels ?? 1;
  const downAfter = options.downAfter ?? 1_000;
  const master = await startRedis();
  const servers: RedisServer[] = [master];
  const sentinels: Watched[] = [];
  const sentinelPorts: number[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'ssekit-sentinel-'));
  const stop = async () => {
    await Promise.allSettled(sentinels.map((sentinel) => sentinel.signal('SIGTERM')));
    await Promise.allSettled(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    servers.push(replica);
    await waitUntil(
      async () => (await redisCli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
      'the replica to be in sync',
      15_000,
    );
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const config = join(dir, `sentinel-${i}.conf`);
      // Sentinel rewrites its file (what it learns), so each gets a writable one of its own.
      await writeFile(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} ${Math.floor(count / 2) + 1}`,
          `sentinel down-after-milliseconds ${name} ${downAfter}`,
          `sentinel failover-timeout ${name} ${Math.max(2_000, 2 * downAfter)}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(await startWatched('redis-sentinel', [config, '--logfile', ''], /\+monitor master/));
      sentinelPorts.push(port);
    }
    await waitUntil(
      async () => {
        for (const port of sentinelPorts) {
          const lines = (await redisCli(port, 'SENTINEL', 'MASTER', name)).split('\n');
          if (Number(lines[lines.indexOf('num-slaves') + 1]) < 1) return false;
          if (count > 1 && Number(lines[lines.indexOf('num-other-sentinels') + 1]) < count - 1) return false;
        }
        return true;
      },
      'the sentinels to know the replica (and each other)',
      20_000,
    );
    /** Waits until the sentinels name a master other than `old` that answers as one. */
    const masterNamed = async (old: RedisServer | undefined, timeout: number) => {
      let found: RedisServer | undefined;
      await waitUntil(
        async () => {
          const [, port] = (await redisCli(sentinelPorts[0] as number, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).split('\n');
          const server = servers.find((candidate) => candidate.port === Number(port));
          if (!server || server === old) return false;
          if (!(await redisCli(server.port, 'ROLE')).startsWith('master')) return false;
          found = server;
          return true;
        },
        old ? 'the sentinels to promote the replica' : 'the sentinels to name a master',
        timeout,
      );
      return found as RedisServer;
    };
    return {
      name,
      master,
      replica,
      sentinelPorts,
      url: `redis+sentinel://${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${name}`,
      currentMaster: () => masterNamed(undefined, 10_000),
      failedOver: (old, timeout = 20_000) => masterNamed(old, timeout),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
