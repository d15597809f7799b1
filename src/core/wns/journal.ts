import type { AppendLog } from '../state/state-store.js';
import { Ring } from '../util/ring.js';

/**
 * The headers of a push request that decide how WNS treats it, as the sender wrote them (absent:
 * not sent), and the body's length. `Authorization` is never among them.
 */
export interface NotifyRequestFacts {
  /** `X-WNS-Type`. */
  readonly type?: string;
  readonly contentType?: string;
  /** `X-WNS-Cache-Policy`. */
  readonly cachePolicy?: string;
  /** `X-WNS-TTL`. */
  readonly ttl?: string;
  /** `X-WNS-PRIORITY`. */
  readonly priority?: string;
  /** `X-WNS-RequestForStatus`. */
  readonly requestForStatus?: string;
  /** The body's length in bytes. */
  readonly bytes: number;
}

/** What a token request asked for: the endpoint, the grant type and the scope (never the secret). */
export interface TokenRequestFacts {
  /** `classic`: `POST /accesstoken.srf`; `entra`: `POST /{tenant}/oauth2/v2.0/token`. */
  readonly endpoint: 'classic' | 'entra';
  readonly grantType?: string;
  readonly scope?: string;
}

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
  /** `Retry-After` of a 406 (throttled) answer, in seconds; absent on other answers. */
  readonly retryAfter?: number;
  /**
   * What the sender asked for: for notify its `X-WNS-*` headers, content type and body length;
   * for token the endpoint, grant type and scope.
   */
  readonly request?: NotifyRequestFacts | TokenRequestFacts;
}

export interface JournalFilter {
  readonly channelUri?: string;
  readonly pfn?: string;
  readonly status?: number;
  readonly op?: string;
}

/**
 * The emulator's request journal: the newest `capacity` entries, the oldest overwritten first (a
 * long-running emulator under load must not grow forever).
 */
export class Journal {
  private readonly entries: Ring<JournalEntry>;
  private seq = 0;

  constructor(
    readonly capacity = 100_000,
    /** Where entries are kept beyond this process (a state store's `journal` log), if anywhere. */
    private readonly stored: AppendLog<JournalEntry> | null = null,
  ) {
    this.entries = new Ring(capacity);
  }

  /** The seq of the newest entry (0 before the first): it moves with every request journalled. */
  get lastSeq(): number {
    return this.seq;
  }

  add(entry: Omit<JournalEntry, 'seq'>): JournalEntry {
    const full: JournalEntry = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    this.stored?.append(full);
    return full;
  }

  /** Takes back saved entries (oldest first; the newest {@link capacity} are kept). */
  load(entries: readonly JournalEntry[]): void {
    this.entries.clear();
    for (const e of entries) {
      this.entries.push(e);
      if (e.seq > this.seq) this.seq = e.seq;
    }
  }

  /** The entries that match `filter`, oldest first. */
  list(filter: JournalFilter = {}): JournalEntry[] {
    return this.entries.toArray(
      (e) =>
        (filter.channelUri === undefined || e.channelUri === filter.channelUri) &&
        (filter.pfn === undefined || e.pfn === filter.pfn) &&
        (filter.status === undefined || e.status === filter.status) &&
        (filter.op === undefined || e.op === filter.op),
    );
  }

  clear(): void {
    this.entries.clear();
    this.stored?.clear();
  }
}
