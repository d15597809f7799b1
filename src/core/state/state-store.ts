/**
 * The state port: every stateful part (devices, what WNS keeps per device, the WNS emulator's
 * apps and tokens, the reference MDM server's records, the timeline, the WNS journal) keeps its
 * records through a {@link StateStore}. Change tracking is part of the store: a part changes a
 * record through {@link RecordTable.update} (or `set`, `delete`), never behind the store's back,
 * so a durable store knows what to write without hooks a part could forget to call.
 *
 * Two implementations: {@link MemoryStateStore} (here; nothing is written, `commit` is free) and
 * the SQLite store of `dmpush serve --state FILE` (`src/adapters/state/sqlite-state-store.ts`).
 * Records are the parts' live objects; a table's `encode` turns one into its saved form (plain,
 * JSON-serialisable data) when a durable store commits it. A log is read a page at a time from
 * a position ({@link AppendLog.read}): its newest entries in memory ({@link MemoryLog}), the
 * file's rows from a primary-key range in SQLite.
 *
 * @module
 */
import { Ring } from '../util/ring.js';

/** A record's saved form: plain data that survives `JSON.stringify`. */
export type Encode<T> = (record: T, id: string) => unknown;

/**
 * The records of one kind, by id (a device's state, WNS's part of a device, an MDM record). The
 * table holds the live records; every change goes through it.
 */
export interface RecordTable<T> {
  readonly kind: string;
  get(id: string): T | undefined;
  has(id: string): boolean;
  ids(): IterableIterator<string>;
  values(): IterableIterator<T>;
  entries(): IterableIterator<[string, T]>;
  readonly size: number;
  /** Adds or replaces record `id`. */
  set(id: string, record: T): void;
  /**
   * Changes record `id` in place: runs `fn` on it and returns what `fn` returns. The record is
   * saved at the next commit. Throws when there is no such record.
   */
  update<R>(id: string, fn: (record: T) => R): R;
  /** Removes record `id` (nothing when there is none). */
  delete(id: string): void;
  /** Removes every record. */
  clear(): void;
}

/** An entry of a log and its position: `seq` grows by one with every entry appended. */
export interface LogEntry<T> {
  readonly seq: number;
  readonly value: T;
}

/** What {@link AppendLog.read} reads: from where, how many, which. */
export interface LogRead<T> {
  /** Entries after this position (a `seq`; 0 for the oldest kept). */
  readonly after: number;
  /** At most this many entries (whole, at least 1). */
  readonly limit: number;
  /** Only entries it accepts are returned (default: all). */
  readonly keep?: (value: T) => boolean;
  /**
   * Examines at most this many entries (default: no bound), so that a `keep` few entries pass
   * costs a bounded time: the page may then hold fewer than `limit` entries with `more` set.
   */
  readonly scan?: number;
}

/** A page of a log, read from a position without reading the whole log. */
export interface LogPage<T> {
  /** The entries read, oldest first. */
  readonly entries: readonly LogEntry<T>[];
  /** Where the next page starts (its `after`): the last entry examined, else the `after` given. */
  readonly next: number;
  /** Whether the log holds entries after `next`. */
  readonly more: boolean;
  /** The position of the newest entry appended (0 before the first). */
  readonly last: number;
}

/** Entries appended in order (the timeline, the WNS journal); the newest are kept. */
export interface AppendLog<T> {
  append(entry: T): void;
  /** Forgets every entry (a durable store empties its copy too). */
  clear(): void;
  /**
   * A page of the entries kept, from a position (an index range, never the whole log): what a
   * paged query reads (`GET /api/events`).
   */
  read(request: LogRead<T>): LogPage<T>;
}

/** The store a part keeps its records in. */
export interface StateStore {
  /**
   * The table of records of `kind` (one table per kind: asking twice is an error). `encode` gives
   * a record's saved form.
   */
  table<T>(kind: string, encode: Encode<T>): RecordTable<T>;
  /**
   * A single document of a part (the simulation's clock, the emulator's apps and tokens),
   * written when its saved form changed. `revision`, when given, is a cheap value that changes
   * whenever the document may have (compared with `===`): the document is encoded only then.
   * Without it the document is encoded at every commit.
   */
  document(key: string, encode: () => unknown, revision?: () => unknown): void;
  /**
   * The log of `kind`; `encode` gives an entry's saved form, `decode` takes it back when a page
   * is read from a durable store (default: the saved form as it is).
   */
  log<T>(
    kind: string,
    encode?: (entry: T) => unknown,
    decode?: (saved: unknown) => T,
  ): AppendLog<T>;
  /**
   * Writes everything changed since the last commit, all or nothing. Throws when it could not
   * (what was pending is tried again at the next commit).
   */
  commit(): void;
}

/** A table kept in a Map, telling `changed` of each record it changes. */
export class MapTable<T> implements RecordTable<T> {
  private readonly map = new Map<string, T>();

  constructor(
    readonly kind: string,
    /** Told of each id whose record is set, updated or deleted (null: every record cleared). */
    private readonly changed: ((id: string | null) => void) | null = null,
  ) {}

  get(id: string): T | undefined {
    return this.map.get(id);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  ids(): IterableIterator<string> {
    return this.map.keys();
  }

  values(): IterableIterator<T> {
    return this.map.values();
  }

  entries(): IterableIterator<[string, T]> {
    return this.map.entries();
  }

  get size(): number {
    return this.map.size;
  }

  set(id: string, record: T): void {
    this.map.set(id, record);
    this.changed?.(id);
  }

  update<R>(id: string, fn: (record: T) => R): R {
    const record = this.map.get(id);
    if (record === undefined) throw new Error(`${this.kind}: no record ${JSON.stringify(id)}`);
    this.changed?.(id);
    return fn(record);
  }

  delete(id: string): void {
    if (this.map.delete(id)) this.changed?.(id);
  }

  clear(): void {
    this.map.clear();
    this.changed?.(null);
  }
}

/** Entries a {@link MemoryLog} keeps unless told otherwise (the newest). */
const MEMORY_LOG_CAPACITY = 100_000;

/**
 * The memory implementation of {@link AppendLog}: the newest `capacity` entries in a ring. A page
 * starts at its position by arithmetic on `seq` (the ring is never copied whole to read one).
 */
export class MemoryLog<T> implements AppendLog<T> {
  private readonly ring: Ring<T>;
  /** The seq of the newest entry (0 before the first); positions go on across `clear`. */
  private newest = 0;

  constructor(capacity = MEMORY_LOG_CAPACITY) {
    this.ring = new Ring(capacity);
  }

  append(entry: T): void {
    this.ring.push(entry);
    this.newest++;
  }

  clear(): void {
    this.ring.clear();
  }

  /** Every entry kept that `keep` accepts, oldest first (for a reader that needs them all). */
  list(keep?: (value: T) => boolean): T[] {
    return this.ring.toArray(keep);
  }

  read(request: LogRead<T>): LogPage<T> {
    const { after, limit, keep } = request;
    const scan = request.scan ?? Infinity;
    const n = this.ring.length;
    /** The seq of the oldest entry kept. */
    const first = this.newest - n + 1;
    const entries: LogEntry<T>[] = [];
    let next = after;
    let examined = 0;
    for (let i = Math.max(0, after - first + 1); i < n; i++) {
      if (entries.length >= limit || examined >= scan) break;
      const value = this.ring.at(i) as T;
      examined++;
      next = first + i;
      if (!keep || keep(value)) entries.push({ seq: next, value });
    }
    return { entries, next, more: next < this.newest, last: this.newest };
  }
}

/** A store that keeps records in memory only: `commit` writes nothing; logs keep their newest entries. */
export class MemoryStateStore implements StateStore {
  private readonly kinds = new Set<string>();

  constructor(
    /** Entries each log keeps (the newest). */
    private readonly logCapacity = MEMORY_LOG_CAPACITY,
  ) {}

  table<T>(kind: string): RecordTable<T> {
    this.claim(kind);
    return new MapTable<T>(kind);
  }

  document(key: string): void {
    this.claim(`document:${key}`);
  }

  log<T>(kind: string): AppendLog<T> {
    this.claim(`log:${kind}`);
    return new MemoryLog<T>(this.logCapacity);
  }

  commit(): void {}

  private claim(name: string): void {
    if (this.kinds.has(name)) throw new Error(`state store: ${name} is already in use`);
    this.kinds.add(name);
  }
}
