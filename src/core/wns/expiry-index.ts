/**
 * Ids ordered by when they expire: a binary min-heap on two parallel arrays (no object per
 * entry). Adding is O(log n), and O(1) when expiries come in order (a fixed lifetime on a clock
 * that does not go back: the new entry stays at the bottom); taking the soonest is O(log n).
 * Any order of expiries is handled (a lifetime changed across a restart, a system clock set back).
 */
export class ExpiryIndex {
  private readonly at: number[] = [];
  private readonly ids: string[] = [];

  get size(): number {
    return this.at.length;
  }

  /** The soonest expiry, or undefined when empty. */
  peek(): number | undefined {
    return this.at[0];
  }

  add(expiresAt: number, id: string): void {
    const { at, ids } = this;
    let i = at.length;
    at.push(expiresAt);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (at[parent]! <= expiresAt) break;
      at[i] = at[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    at[i] = expiresAt;
    ids[i] = id;
  }

  /** Removes the entry with the soonest expiry and returns its id (undefined when empty). */
  pop(): string | undefined {
    const { at, ids } = this;
    const top = ids[0];
    const lastAt = at.pop();
    const lastId = ids.pop();
    if (at.length === 0 || lastAt === undefined || lastId === undefined) return top;
    // Sift the last entry down from the root.
    const n = at.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && at[child + 1]! < at[child]!) child++;
      if (at[child]! >= lastAt) break;
      at[i] = at[child]!;
      ids[i] = ids[child]!;
      i = child;
    }
    at[i] = lastAt;
    ids[i] = lastId;
    return top;
  }

  clear(): void {
    this.at.length = 0;
    this.ids.length = 0;
  }
}
