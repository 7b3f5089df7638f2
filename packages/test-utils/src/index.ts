export { dechunk, openRaw, type RawClient } from './raw-client.js';
export { openSse, type ReceivedEvent, type SseReader, type SseReaderOptions } from './sse-reader.js';
export { waitFor } from './wait.js';
