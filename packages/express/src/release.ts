import type { Request } from 'express';

/** Router internals left on the request: its `next` and parseurl's cache. */
type Routed = Request & { _parsedUrl?: unknown };

/**
 * Drops the router state Express leaves on a request once an event stream owns the response.
 *
 * `req.next` is the router's continuation: its closure holds the layer stack, the route's
 * `finalhandler` and their scopes, about 0.85 KB that an idle stream would keep until it closes.
 * Only `res.render`, `res.sendFile` and `res.download` read it, none of which can answer a
 * response that is already streaming; an error the route handler throws later still reaches the
 * error handlers, through the router's own reference. `_parsedUrl` is a cache parseurl rebuilds on
 * demand. Properties are set to `undefined`, not deleted: a delete would turn the request into a
 * dictionary-mode object, which costs more than it frees. `req.params`, `req.route` and
 * `res.locals` stay: route handlers may read them after `await res.sse()`.
 */
export function releaseRouterState(req: Routed): void {
  req.next = undefined;
  if (req._parsedUrl !== undefined) req._parsedUrl = undefined;
}
