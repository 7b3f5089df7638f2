// The event every variant publishes, as real apps send them: an `id:` and an `event:` line
// before the data (ssekit's broker numbers its events itself; hand-written servers use `seq`).
export const EVENT_TYPE = 'tick';

/** The SSE block a hand-written server writes for event `seq`. */
export const frame = (seq, data) => `id: ${seq}\nevent: ${EVENT_TYPE}\ndata: ${data}\n\n`;
