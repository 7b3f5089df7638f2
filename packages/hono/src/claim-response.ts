/**
 * Keeps `@hono/node-server` off a response an event stream has taken over.
 *
 * The stream writes its head and events to the Node response itself and hands Hono a marker
 * `Response` (`x-hono-already-sent`) so the server leaves the response alone. When Hono re-wraps
 * the handler's response (it does for `HEAD`, copying it into a new `Response` of the server's
 * own class), the server no longer recognises the marker and would answer the response again:
 * a second head and an `end()` that cuts the stream. Once claimed, `writeHead` and `end` from
 * anyone but the stream's own sink are ignored.
 */
import type { ServerResponse } from 'node:http';
import type { NodeResponse, NodeSink } from '@ssekit/core/node';

const claimedBy = Symbol('ssekit.hono.claimedBy');
type Claimed = ServerResponse & { [claimedBy]?: NodeSink };
type End = ServerResponse['end'];

/** `end` functions someone had set on the response itself before the claim (rare). */
const ownEnds = new WeakMap<object, End>();

/**
 * Ignores `writeHead` and `end` on `res` from now on, except the sink's own `end` (once
 * `sink.ending` is true). Call it right after `createNodeSink(res)` returns `sink`.
 */
export function claimResponse(res: NodeResponse, sink: NodeSink): void {
  const claimed = res as Claimed;
  if (Object.hasOwn(claimed, 'end')) ownEnds.set(claimed, claimed.end);
  claimed[claimedBy] = sink;
  // Shared functions (`this` is the response), not closures: idle streams stay small.
  claimed.writeHead = ignoredWriteHead as never;
  claimed.end = claimedEnd as never;
}

function ignoredWriteHead(this: Claimed): Claimed {
  return this;
}

function claimedEnd(this: Claimed, ...args: unknown[]): Claimed {
  if (!this[claimedBy]?.ending) return this;
  // The response's own class's `end` (no `node:http` import: this package also runs off Node).
  const end = ownEnds.get(this) ?? (Object.getPrototypeOf(this) as Claimed).end;
  return end.apply(this, args as never) as Claimed;
}
