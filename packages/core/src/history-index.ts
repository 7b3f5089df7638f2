/**
 * Finds a retained event of the in-memory transport by the id a client sends back, without a map
 * entry per event: ids the transport assigns carry the event's publish position
 * (`<epoch ms>-<position>`), and positions index an array. A map holds only publisher-given ids.
 *
 * The array spans from the oldest retained event to the newest. One old event that a quiet
 * channel keeps could hold it open over every event published since; once it is mostly empty
 * slots, its oldest events move to a small map, so the index stays proportional to what is
 * retained.
 */

/** What the index needs of an event. */
export interface Indexed {
  readonly id: string;
  /** Publish order: consecutive from 1 across every event the transport stored. */
  readonly position: number;
}

const ASSIGNED_ID = /^\d{1,15}-(\d{1,15})$/;
/** Empty slots the array may hold beyond a few per retained event before it is narrowed. */
const SLACK = 1024;

export class HistoryIndex<E extends Indexed> {
  private slots: Array<E | undefined> = [];
  /** Position of `slots[0]`. */
  private base = 1;
  private head = 0;
  private retained = 0;
  /** Retained events moved out of the array, by position. */
  private readonly aside = new Map<number, E>();
  /** Events stored under a publisher-given id (in the order each id was first given). */
  private readonly given = new Map<string, E>();

  /** Stores the next event in publish order; `assigned` when its id is the transport's own. */
  add(event: E, assigned: boolean): void {
    if (this.base + this.slots.length !== event.position) throw new Error('HistoryIndex: positions must be consecutive');
    this.retained++;
    if (assigned) {
      this.slots.push(event);
    } else {
      this.slots.push(undefined);
      this.given.set(event.id, event); // a later event with the same given id takes it over
    }
    if (this.slots.length - this.head > SLACK + 4 * this.retained) this.narrow();
  }

  /** Forgets an event that left every channel. */
  remove(event: E): void {
    this.retained--;
    if (this.given.get(event.id) === event) {
      this.given.delete(event.id);
      return;
    }
    const at = event.position - this.base;
    if (this.slots[at] === event) {
      this.slots[at] = undefined;
      if (at === this.head) this.narrow();
    } else if (this.aside.get(event.position) === event) {
      this.aside.delete(event.position);
    }
  }

  /** The retained event with this id, if any. */
  get(id: string): E | undefined {
    const given = this.given.get(id);
    if (given !== undefined) return given;
    const match = ASSIGNED_ID.exec(id);
    if (match === null) return undefined;
    const position = Number(match[1]);
    const event = this.slots[position - this.base] ?? this.aside.get(position);
    return event !== undefined && event.id === id ? event : undefined;
  }

  /** How many events are retained (indexed and not yet removed). */
  get size(): number {
    return this.retained;
  }

  /** The retained event published first (or about: see {@link HistoryIndex.given}), if any. */
  oldest(): E | undefined {
    this.narrow();
    let oldest = this.slots[this.head];
    const candidates = [this.aside.values().next().value, this.given.values().next().value];
    for (const event of candidates) if (event !== undefined && (oldest === undefined || event.position < oldest.position)) oldest = event;
    return oldest;
  }

  clear(): void {
    this.base += this.slots.length;
    this.slots = [];
    this.head = 0;
    this.retained = 0;
    this.aside.clear();
    this.given.clear();
  }

  /** Skips empty slots at the head, moves old events aside from a sparse array, compacts. */
  private narrow(): void {
    const slots = this.slots;
    let head = this.head;
    while (head < slots.length && slots[head] === undefined) head++;
    while (slots.length - head > SLACK + 4 * this.retained) {
      const event = slots[head] as E;
      this.aside.set(event.position, event);
      slots[head] = undefined;
      while (head < slots.length && slots[head] === undefined) head++;
    }
    this.head = head;
    if (head > 64 && head * 2 > slots.length) {
      this.slots = slots.slice(head);
      this.base += head;
      this.head = 0;
    }
  }
}
