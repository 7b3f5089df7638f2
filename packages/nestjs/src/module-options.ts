/** The token under which {@link SseModule} keeps its resolved options. @internal */
export const SSE_MODULE_OPTIONS = Symbol('ssekit:module-options');
