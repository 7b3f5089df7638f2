import type { StreamRequest } from '../request.js';
import type { NodeRequest } from './node-sink.js';

/**
 * A framework-neutral view of a Node request for `broker.stream()`.
 *
 * @example
 * ```ts
 * const connection = await broker.stream(toStreamRequest(req), {}, () => createNodeSink(res));
 * ```
 */
export function toStreamRequest(req: NodeRequest, raw: unknown = req): StreamRequest {
  return {
    url: req.url ?? '/',
    method: req.method ?? 'GET',
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    raw,
  };
}
