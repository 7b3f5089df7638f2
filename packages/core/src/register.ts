/**
 * The one place an app declares its types for every ssekit package, by module augmentation (the
 * pattern of TanStack Router's and TanStack Query's `Register`).
 */
import type { EventMap, TopicMap } from './types.js';

/**
 * Declare your app's events (and optionally its principal and topics) once, and
 * `createBroker()`, `reply.eventStream()`, `res.sse()`, `ctx.sse()`, `streamEvents()` and the
 * adapters' brokers are typed without generics at each call. Explicit generics still win.
 *
 * - `events`: event name to data type (use a `type` alias, not an `interface`).
 * - `principal`: what your `authorize` hook returns. A broker created without `authorize` types
 *   its principal as `principal | undefined`, because it is `undefined` at run time.
 * - `topics` (optional): topic name to the names of the events it carries; `publish()` then
 *   refuses unknown topics and events a topic does not carry. Template literal keys
 *   (`` [room: `room:${string}`] ``) type families of topics. Without it, topics are any string.
 *
 * @example
 * ```ts
 * type Events = { price: { symbol: string; value: number }; notice: string };
 * declare module '@ssekit/core' {
 *   interface Register {
 *     events: Events;
 *     principal: { id: string; name: string };
 *     topics: { prices: 'price'; news: 'notice' };
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the app's module augmentation
export interface Register {}

/** The registered event map ({@link Register}`['events']`), or the untyped {@link EventMap}. */
export type RegisteredEvents = Register extends { events: infer E extends EventMap } ? E : EventMap;

/** The registered principal ({@link Register}`['principal']`), or `unknown`. */
export type RegisteredPrincipal = Register extends { principal: infer P } ? P : unknown;

/** The registered topic map ({@link Register}`['topics']`), or the untyped {@link TopicMap} (any string). */
export type RegisteredTopics = Register extends { topics?: infer T extends TopicMap } ? T : TopicMap;
