import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from './children.js';
import { type RedisServer, redisCli, startRedis } from './redis-server.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);

/** A Redis Cluster of the test's own: 3 masters with a replica each, on free ports. */
export interface RedisCluster {
  /** Every node, masters and replicas (roles change with failovers). */
  readonly nodes: readonly RedisServer[];
  /** `redis+cluster://127.0.0.1:<port>,…` with every node. */
  readonly url: string;
  /** The node that is master of `key`'s slot now, as a live node sees it. */
  masterOf(key: string): Promise<RedisServer>;
  /**
   * Waits until a live node other than `old` is master of `key`'s slot and the cluster says
   * `cluster_state:ok`, then resolves to it.
   */
  failedOver(key: string, old: RedisServer, timeout?: number): Promise<RedisServer>;
  /** The replicas of `master` now. */
  replicasOf(master: RedisServer): Promise<RedisServer[]>;
  /** Stops every node. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** `cluster-node-timeout`: how long a master may be unreachable before its replica takes over. */
  nodeTimeout?: number;
}

/**
 * Starts six `redis-server --cluster-enabled yes` nodes, joins them with
 * `redis-cli --cluster create … --cluster-replicas 1` and resolves once every node says
 * `cluster_state:ok` and every replica is in sync.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const nodeTimeout = options.nodeTimeout ?? 1_000;
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < 6; i++) {
      nodes.push(
        await startRedis({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            // The bus port is given, not port + 10000: a free ephemeral port plus 10000 may not be.
            '--cluster-port',
            String(await freePort()),
            '--cluster-node-timeout',
            String(nodeTimeout),
            // A replica takes over however long it was disconnected (the default refuses some).
            '--cluster-replica-validity-factor',
            '0',
            '--cluster-require-full-coverage',
            'no',
          ],
        }),
      );
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      {
        timeout: 30_000,
      },
    );
    await waitUntil(
      async () => {
        for (const node of nodes) {
          if (!(await redisCli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
          const replication = await redisCli(node.port, 'INFO', 'replication');
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
        }
        return true;
      },
      'the cluster to be ok with every replica in sync',
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const dead = new Set<RedisServer>();
  const live = () => nodes.filter((node) => !dead.has(node));
  const masterOf = async (key: string, among = live()) => {
    const asker = among[0] as RedisServer;
    const slot = Number((await redisCli(asker.port, 'CLUSTER', 'KEYSLOT', key)).trim());
    for (const line of (await redisCli(asker.port, 'CLUSTER', 'NODES')).split('\n')) {
      const [, address, flags, , , , , , ...slots] = line.trim().split(' ');
      if (!address || !flags?.includes('master') || flags.includes('fail')) continue;
      const owns = slots.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return from !== undefined && to !== undefined && slot >= from && slot <= to;
      });
      if (!owns) continue;
      const port = Number(address.split('@')[0]?.split(':')[1]);
      const node = nodes.find((candidate) => candidate.port === port);
      if (node) return node;
    }
    throw new Error(`no master owns the slot of ${key}`);
  };

  /** `CLUSTER NODES` as a live node sees it: port, id, flags and master id of each node. */
  const table = async () => {
    const asker = live()[0] as RedisServer;
    return (await redisCli(asker.port, 'CLUSTER', 'NODES'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [id, address, flags, masterId] = line.trim().split(' ');
        return { id, port: Number(address?.split('@')[0]?.split(':')[1]), flags: flags ?? '', masterId };
      });
  };

  return {
    nodes,
    async replicasOf(master) {
      const rows = await table();
      const id = rows.find((row) => row.port === master.port)?.id;
      return rows
        .filter((row) => row.flags.includes('slave') && row.masterId === id)
        .map((row) => nodes.find((node) => node.port === row.port))
        .filter((node): node is RedisServer => node !== undefined);
    },
    url: `redis+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`,
    masterOf: (key) => masterOf(key),
    async failedOver(key, old, timeout = 20_000) {
      dead.add(old);
      let master: RedisServer | undefined;
      await waitUntil(
        async () => {
          try {
            const found = await masterOf(key);
            if (found === old || dead.has(found)) return false;
            if (!(await redisCli(found.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
            master = found;
            return true;
          } catch {
            return false;
          }
        },
        `a replica to take over ${key}'s slot`,
        timeout,
      );
      return master as RedisServer;
    },
    stop,
  };
}
