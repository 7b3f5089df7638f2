import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild, track, waitForOutput } from '@ssekit/test-utils';

/** The adapters a test server can run on (see test/nodes). */
export type NodeKind = 'fastify' | 'express' | 'hono' | 'presence';

/** A test server in a child process: a broker on the Redis transport behind one adapter. */
export interface TestNode {
  readonly kind: NodeKind;
  /** Base URL; the stream is `${url}/events?topic=…`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** `POST /control/<verb>` with a JSON body. */
  control(verb: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Publishes through this node; resolves to the event id, or rejects with the node's error. */
  publish(topics: string[], event: Record<string, unknown>): Promise<string>;
  /** `kill -9`. */
  kill(): Promise<void>;
  /** Graceful stop (`SIGTERM`), then `SIGKILL` after 3 s. */
  stop(): Promise<void>;
}

const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Starts one test server and resolves once it listens. */
export async function startNode(kind: NodeKind, env: Record<string, string>): Promise<TestNode> {
  const script = fileURLToPath(new URL(`../nodes/${kind}-node.ts`, import.meta.url));
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const match = await waitForOutput(child, /listening (\d+)/, 20_000);
  const url = `http://127.0.0.1:${match[1]}`;
  const control = async (verb: string, body: unknown = {}) => {
    const response = await fetch(`${url}/control/${verb}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    kind,
    url,
    child,
    control,
    async publish(topics, event) {
      const result = await control('publish', { topics, event });
      if (result.status !== 200) throw Object.assign(new Error(`publish on ${kind} answered ${result.status}`), result.body);
      return result.body.id as string;
    },
    kill: () => stopChild(child, 'SIGKILL'),
    stop: () => stopChild(child, 'SIGTERM'),
  };
}
