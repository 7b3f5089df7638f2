/**
 * How many streams may be open, in total and per client: the one place admission counts them.
 */
import { limitRejection } from './admission.js';
import type { SseRejectedError } from './errors.js';

export class Capacity {
  private open = 0;
  private readonly perClient = new Map<string, number>();
  private readonly countPerClient: boolean;

  constructor(
    private readonly maxConnections: number,
    private readonly maxPerClient: number,
    private readonly retryAfter: number,
  ) {
    this.countPerClient = Number.isFinite(maxPerClient);
  }

  /**
   * The refusal for one more stream (of `clientId`, when known), or `undefined` when it may open.
   * Checked before the admission hooks run and again after they resolve, since other streams may
   * have opened meanwhile.
   */
  refusal(closed: boolean, clientId?: string): SseRejectedError | undefined {
    if (closed) return limitRejection(503, 'The server is shutting down; reconnect shortly.', this.retryAfter);
    if (this.open >= this.maxConnections) return limitRejection(503, 'Too many open streams; retry later.', this.retryAfter);
    if (clientId !== undefined && this.countPerClient && (this.perClient.get(clientId) ?? 0) >= this.maxPerClient) {
      return limitRejection(429, 'Too many open streams for this client; close one or retry later.', this.retryAfter);
    }
    return undefined;
  }

  add(clientId: string): void {
    this.open++;
    if (this.countPerClient) this.perClient.set(clientId, (this.perClient.get(clientId) ?? 0) + 1);
  }

  remove(clientId: string): void {
    this.open--;
    if (!this.countPerClient) return;
    const left = (this.perClient.get(clientId) ?? 1) - 1;
    if (left === 0) this.perClient.delete(clientId);
    else this.perClient.set(clientId, left);
  }
}
