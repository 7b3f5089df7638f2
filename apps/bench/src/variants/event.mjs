// The event every variant publishes, as real apps send them: an `id:` and an `event:` line
// before the data. ssekit's broker assigns its own ids (`<epoch ms>-<position>`); every other
// variant writes ids of the same shape and length (`<epoch ms at start>-<seq>`), so each puts the
// same bytes on the wire.
export const EVENT_TYPE = 'tick';

const EPOCH = Date.now();

/** The id a hand-written server or a peer gives event `seq`. */
export const eventId = (seq) => `${EPOCH}-${seq}`;

/** The sequence number in a `Last-Event-ID` a client sent back (an `eventId`, or a bare `seq`). */
export const seqOf = (lastEventId) => Number(String(lastEventId).split('-').pop());

/** The SSE block a hand-written server writes for event `seq`. */
export const frame = (seq, data) => `id: ${eventId(seq)}\nevent: ${EVENT_TYPE}\ndata: ${data}\n\n`;
