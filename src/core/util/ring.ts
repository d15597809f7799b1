/**
 * A bounded log: keeps the newest `capacity` items, overwriting the oldest in place (no array
 * shifting per item, no growth past the capacity).
 */
export class Ring<T> {
  private readonly items: T[] = [];
  /** Where the next item goes once the ring is full (the oldest item). */
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ring capacity must be a whole number >= 1, got ${capacity}`);
  }

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.head] = item;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
  }

  /** The `index`-th oldest item (0 the oldest), or undefined past the newest. */
  at(index: number): T | undefined {
    const n = this.items.length;
    if (index < 0 || index >= n) return undefined;
    return this.items[(this.head + index) % n];
  }

  /** The items (those matching `keep`, when given), oldest first. */
  toArray(keep?: (item: T) => boolean): T[] {
    const out: T[] = [];
    const n = this.items.length;
    for (let i = 0; i < n; i++) {
      const item = this.items[(this.head + i) % n] as T;
      if (!keep || keep(item)) out.push(item);
    }
    return out;
  }

  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }
}
