export { type SseReader, type SseReaderOptions, type ReceivedEvent, openSse } from './sse-reader.ts';
export { type RawClient, dechunk, openRaw } from './raw-client.ts';
export { waitFor } from './wait.ts';
