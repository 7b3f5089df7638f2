/**
 * Starts src/server-process.ts in a child process and drives it over IPC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BrokerOptions } from '@ssekit/core';
import { stopChild, track, waitForOutput } from '@ssekit/test-utils';
import type { AdapterName, ServerLimits } from './adapters.js';
import type { Command } from './server-process.js';

export interface ServerChildOptions {
  adapter: AdapterName;
  port?: number;
  broker?: Omit<BrokerOptions, 'authorize' | 'authorizeTopic' | 'clientId' | 'onConnect' | 'onDisconnect' | 'transport' | 'serialize'>;
  limits?: ServerLimits;
  redisUrl?: string;
  streamKey?: string;
}

export interface ServerChild {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Sends a command and resolves with the answer. */
  call<T = unknown>(command: Command): Promise<T>;
  /** SIGTERM (graceful), then SIGKILL after `grace` ms. */
  stop(grace?: number): Promise<void>;
}

const script = fileURLToPath(new URL('./server-process.ts', import.meta.url));
const appDir = fileURLToPath(new URL('..', import.meta.url));

export async function startServerChild(options: ServerChildOptions): Promise<ServerChild> {
  const child = track(
    fork(script, [], {
      cwd: appDir,
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: {
        ...process.env,
        ADAPTER: options.adapter,
        PORT: String(options.port ?? 0),
        BROKER: JSON.stringify(options.broker ?? {}),
        LIMITS: JSON.stringify(options.limits ?? {}),
        ...(options.redisUrl && { REDIS_URL: options.redisUrl }),
        ...(options.streamKey && { STREAM_KEY: options.streamKey }),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  const [, port] = await waitForOutput(child, /listening (\d+)/, 30_000);
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  child.once('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the server process exited'));
    pending.clear();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port: Number(port),
    process: child,
    call<T>(command: Command) {
      return new Promise<T>((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, command }, (error) => {
          if (error) {
            pending.delete(id);
            reject(error);
          }
        });
      });
    },
    stop: (grace = 10_000) => stopChild(child, 'SIGTERM', grace),
  };
}
