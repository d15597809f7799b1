/** What a journal entry records: one request to the emulator and its outcome. No secrets. */
export interface JournalEntry {
  readonly seq: number;
  /** Epoch ms. */
  readonly time: number;
  readonly op: 'token' | 'notify' | 'channel' | 'connect' | 'disconnect' | 'admin';
  readonly status: number;
  readonly pfn?: string;
  readonly channelUri?: string;
  readonly deviceId?: string;
  /** `X-WNS-Status` for notify. */
  readonly notificationStatus?: string;
  readonly description?: string;
  readonly msgId?: string;
}

export interface JournalFilter {
  readonly channelUri?: string;
  readonly pfn?: string;
  readonly status?: number;
  readonly op?: string;
}

/** The emulator's request journal: a bounded list (about `capacity` entries), oldest dropped first. */
export class Journal {
  private readonly entries: JournalEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity = 100_000) {}

  add(entry: Omit<JournalEntry, 'seq'>): JournalEntry {
    const full: JournalEntry = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    // Trimmed in batches: shifting a full journal on every request made it quadratic.
    if (this.entries.length > this.capacity + (this.capacity >> 3)) {
      this.entries.splice(0, this.entries.length - this.capacity);
    }
    return full;
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    return this.entries.filter(
      (e) =>
        (filter.channelUri === undefined || e.channelUri === filter.channelUri) &&
        (filter.pfn === undefined || e.pfn === filter.pfn) &&
        (filter.status === undefined || e.status === filter.status) &&
        (filter.op === undefined || e.op === filter.op),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }
}
