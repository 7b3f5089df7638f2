import { type AdmissionHook, isSseError, SseHookError, SseRejectedError } from './errors.js';
import type { AdmissionRequest, StreamRequest } from './request.js';

/**
 * Hooks and limits that decide whether a stream may open. Part of `BrokerOptions`.
 *
 * @typeParam P - the principal `authorize` returns.
 * @typeParam R - the framework's request object, the hooks' `request.raw` (set by the adapters).
 */
export interface AdmissionOptions<P, R = unknown> {
  // The hooks are declared as methods: a hook written for one adapter (`(req: FastifyStreamRequest) => …`)
  // must still fit a broker created on its own, whose `R` is `unknown`.
  /**
   * Decides who may open a stream, before any byte is sent. Return the principal (any value you
   * like, available as `connection.principal`), `false` for 401, or `reject(status, message)`.
   * Throwing an {@link SseRejectedError} (or an `http-errors` style 4xx error with `expose: true`)
   * works too. Anything else thrown becomes an {@link SseHookError}: a plain 500 for the client,
   * with your error as its `cause`, never written out.
   */
  authorize?(request: AdmissionRequest<R>): P | false | SseRejectedError | Promise<P | false | SseRejectedError>;
  /** Decides per requested topic; `false` rejects the whole stream with 403. */
  authorizeTopic?(topic: string, principal: P, request: AdmissionRequest<R>): boolean | Promise<boolean>;
  /**
   * The client key that groups sessions (for `broker.send` and per-client limits).
   * @default the principal's string `id` property, else a fresh id per session
   */
  clientId?(principal: P, request: AdmissionRequest<R>): string | undefined;
  /**
   * Open streams allowed in total; past it, 503 with `Retry-After`.
   * @default Infinity
   */
  maxConnections?: number;
  /**
   * Open streams allowed per client key; past it, 429 with `Retry-After`.
   * @default Infinity
   */
  maxConnectionsPerClient?: number;
  /**
   * Topics one stream may subscribe to at once; past it, 400.
   * @default 64
   */
  maxTopicsPerConnection?: number;
  /**
   * Seconds sent in `Retry-After` on 429 and 503.
   * @default 5
   */
  retryAfter?: number;
}

/**
 * Builds a rejection for `authorize` to return.
 *
 * @example
 * ```ts
 * authorize: (req) => req.header('authorization') === `Bearer ${token}` ? { id: 'ada' } : reject(401, 'Sign in first.')
 * ```
 */
export function reject(status: 400 | 401 | 403 | 404 | 429 | 503, message: string, headers?: Record<string, string>): SseRejectedError {
  return new SseRejectedError(status, message, headers);
}

/** @internal */
export interface Admitted<P> {
  principal: P;
  clientId: string | undefined;
  topics: readonly string[];
}

const MAX_TOPIC_LENGTH = 256;

/** Runs `authorize` and the topic checks. Limits are checked by the broker right after. @internal */
export async function authorizeStream<P>(
  options: AdmissionOptions<P, unknown>,
  request: StreamRequest,
  topics: readonly string[],
): Promise<Admitted<P>> {
  const maxTopics = options.maxTopicsPerConnection ?? 64;
  if (topics.length > maxTopics) {
    throw new SseRejectedError(400, `Too many topics: at most ${maxTopics} per stream.`);
  }
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
      throw new SseRejectedError(400, `Topic names must be 1 to ${MAX_TOPIC_LENGTH} characters.`);
    }
  }
  const { authorize, authorizeTopic } = options;
  const principal = authorize ? await runHook('authorize', async () => principalOf(await authorize(request))) : (undefined as P);
  if (authorizeTopic) {
    for (const topic of topics) {
      if (!(await runHook('authorizeTopic', async () => Boolean(await authorizeTopic(topic, principal, request))))) {
        throw new SseRejectedError(403, 'Not allowed to subscribe to one of the requested topics.');
      }
    }
  }
  const { clientId } = options;
  const key = clientId ? await runHook('clientId', async () => clientKey(await clientId(principal, request))) : undefined;
  return { principal, clientId: key ?? idOf(principal), topics };
}

/** What `authorize` answered: a principal, or a refusal (`false`, or a returned `SseRejectedError`). */
function principalOf<P>(outcome: P | false | SseRejectedError): P {
  if (outcome === false) throw new SseRejectedError(401, 'Authentication required.');
  if (isSseError(outcome)) throw outcome; // a returned refusal; anything else of ours is a fault
  return outcome;
}

function clientKey(key: unknown): string | undefined {
  if (key === undefined || key === null) return undefined;
  if (typeof key === 'number') return String(key);
  if (typeof key !== 'string') throw new TypeError('clientId must return a string or undefined.');
  return key;
}

/**
 * Runs one of the user's hooks. Refusals pass through, rebuilt from their fields; any other
 * failure is wrapped, because frameworks write a route error's message (Fastify) or stack
 * (Express in development) to the client, and a hook's error may carry secrets.
 */
async function runHook<T>(hook: AdmissionHook, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asRefusal(error) ?? new SseHookError(hook, error);
  }
}

/**
 * The refusal a hook threw or returned, as a fresh `SseRejectedError` of this copy: an
 * `SseRejectedError` (from this copy of ssekit or another), or an exposed 4xx `http-errors` style
 * error (`ctx.throw(403)`, `createError(401)`), so every adapter answers it the same way. Its
 * fields are read once, checked, and copied: a getter that throws, a status out of range or a
 * header value with a line break make it a hook failure instead (a plain 500).
 */
function asRefusal(error: unknown): SseRejectedError | undefined {
  try {
    if (typeof error !== 'object' || error === null) return undefined;
    const ours = isSseError(error);
    const { code, status, expose, message, headers } = error as Record<string, unknown>;
    if (ours ? code !== 'REJECTED' : expose !== true) return undefined;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > (ours ? 599 : 499)) return undefined;
    return new SseRejectedError(status, typeof message === 'string' ? message : 'Request refused.', headerCopy(headers), { cause: error });
  } catch {
    return undefined;
  }
}

/** String headers only, without line breaks (they would split the response head). */
function headerCopy(headers: unknown): Record<string, string> {
  const copy: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return copy;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' || /[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new TypeError('Refusal headers must be valid names with single-line string values.');
    }
    copy[name] = value;
  }
  return copy;
}

function idOf(principal: unknown): string | undefined {
  if (typeof principal !== 'object' || principal === null) return undefined;
  const id = (principal as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** @internal */
export function limitRejection(status: 429 | 503, message: string, retryAfter: number): SseRejectedError {
  return new SseRejectedError(status, message, { 'retry-after': String(retryAfter) });
}
