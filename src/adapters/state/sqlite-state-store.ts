/**
 * The durable {@link StateStore} of `dmpush serve --state FILE`: records live in memory (the
 * parts' own objects) and every change the parts make through their tables is written to the
 * SQLite file ({@link StateFile}) at the next commit, in one transaction. See
 * docs/decisions/0007-durable-state.md.
 *
 * When: a change schedules a commit for the end of the current turn of the event loop (batching
 * I/O, not simulated time); the HTTP service base and the OMA-DM client commit before any answer
 * or SyncML message leaves, so what a peer was told is on disk first. A failed commit (disk full)
 * keeps what was pending for the next one and is reported once, then every 100th time.
 *
 * @module
 */
import {
  MapTable,
  type AppendLog,
  type Encode,
  type LogEntry,
  type LogPage,
  type LogRead,
  type RecordTable,
  type StateStore,
} from '../../core/state/state-store.js';
import type { LogTable, RowChange, StateFile, StoredState } from './state-store.js';

/** A revision no document has yet. */
const NOT_SEEN = Symbol('not seen');

/** How often a failing file is reported (once, then every this many failed commits). */
const REPORT_EVERY = 100;

/** Most rows a log page reads from the file at a time (a page with a filter may read several). */
const PAGE_CHUNK = 1_000;

interface TrackedTable {
  readonly kind: string;
  readonly table: MapTable<unknown>;
  readonly encode: Encode<unknown>;
  readonly dirty: Set<string>;
  /** Every row of the kind is rewritten (the table was cleared). */
  all: boolean;
}

interface TrackedDocument {
  readonly encode: () => unknown;
  readonly revision: (() => unknown) | undefined;
  /** The revision the text written last was encoded at. */
  seen: unknown;
  /** The text written last. */
  written: string | undefined;
}

interface ChangedDocument {
  readonly key: string;
  readonly text: string;
  readonly revision: unknown;
}

interface TrackedLog {
  readonly encode: (entry: unknown) => unknown;
  readonly decode: (saved: unknown) => unknown;
  pending: string[];
  cleared: boolean;
}

/** Options of {@link SqliteStateStore}. */
export interface SqliteStateStoreOptions {
  /** Told when a commit fails (once, then every 100th failure; the fleet goes on in memory). */
  readonly onError?: (error: Error) => void;
  /** Schedules `commit` after the current turn of the event loop (default `setImmediate`). */
  readonly schedule?: (commit: () => void) => void;
}

/** A {@link StateStore} written to an SQLite {@link StateFile}. */
export class SqliteStateStore implements StateStore {
  private readonly tables = new Map<string, TrackedTable>();
  private readonly documents = new Map<string, TrackedDocument>();
  private readonly logs = new Map<string, TrackedLog>();
  private scheduled = false;
  private closed = false;
  private failures = 0;
  /** Commits that wrote something (for tests and benchmarks). */
  commits = 0;

  constructor(
    private readonly file: StateFile,
    private readonly options: SqliteStateStoreOptions = {},
  ) {}

  /** The file's path. */
  get path(): string {
    return this.file.file;
  }

  /** What the file held when it was opened, as JSON texts (newest events within `limits`). */
  read(limits: { readonly events?: number } = {}): StoredState {
    return this.file.read(limits);
  }

  table<T>(kind: string, encode: Encode<T>): RecordTable<T> {
    if (this.tables.has(kind)) throw new Error(`state store: table ${kind} is already in use`);
    const tracked: TrackedTable = {
      kind,
      encode: encode as Encode<unknown>,
      dirty: new Set(),
      all: false,
      table: new MapTable<unknown>(kind, (id) => {
        if (id === null) {
          tracked.all = true;
          tracked.dirty.clear();
        } else if (!tracked.all) tracked.dirty.add(id);
        this.schedule();
      }),
    };
    this.tables.set(kind, tracked);
    return tracked.table as RecordTable<T>;
  }

  document(key: string, encode: () => unknown, revision?: () => unknown): void {
    if (this.documents.has(key)) throw new Error(`state store: document ${key} is already in use`);
    this.documents.set(key, { encode, revision, seen: NOT_SEEN, written: undefined });
    this.schedule();
  }

  log<T>(
    kind: string,
    encode: (entry: T) => unknown = (e) => e,
    decode: (saved: unknown) => T = (saved) => saved as T,
  ): AppendLog<T> {
    if (kind !== 'events' && kind !== 'journal')
      throw new Error(`state store: the state file keeps the logs events and journal, not ${kind}`);
    if (this.logs.has(kind)) throw new Error(`state store: log ${kind} is already in use`);
    const log: TrackedLog = {
      encode: encode as (entry: unknown) => unknown,
      decode,
      pending: [],
      cleared: false,
    };
    this.logs.set(kind, log);
    return {
      append: (entry) => {
        log.pending.push(JSON.stringify(log.encode(entry)));
        this.schedule();
      },
      clear: () => {
        log.pending = [];
        log.cleared = true;
        this.schedule();
      },
      read: (request) => this.readLog(kind, log, request),
    };
  }

  /**
   * A page of log `kind` from the file, after committing what is pending (so the page holds every
   * entry appended, with the position the file gave it). Rows are read a chunk at a time from
   * the position on (`WHERE seq > ? ORDER BY seq LIMIT ?`), never the whole log.
   */
  private readLog<T>(kind: LogTable, log: TrackedLog, request: LogRead<T>): LogPage<T> {
    try {
      this.commit();
    } catch {
      // Reported through onError; the page holds what the file has.
    }
    const { limit, keep } = request;
    const scan = request.scan ?? Infinity;
    const entries: LogEntry<T>[] = [];
    let next = request.after;
    let examined = 0;
    while (entries.length < limit && examined < scan) {
      const want = Math.min(PAGE_CHUNK, scan - examined, Math.max(limit - entries.length, 64));
      const rows = this.file.page(kind, next, want);
      for (const row of rows) {
        if (entries.length >= limit) break;
        examined++;
        next = row.seq;
        const value = log.decode(JSON.parse(row.value)) as T;
        if (!keep || keep(value)) entries.push({ seq: row.seq, value });
      }
      if (rows.length < want) break;
    }
    const last = this.file.lastSeq(kind);
    return { entries, next, more: next < last, last };
  }

  /**
   * Writes what changed since the last commit in one transaction (nothing when nothing did).
   * Throws when the write failed (disk full…): what was pending is tried again next time.
   */
  commit(): void {
    if (this.closed) return;
    const documents = this.changedDocuments();
    const meta = documents.map((d): [string, string] => [d.key, d.text]);
    const rows: RowChange[] = [];
    const clearKinds: string[] = [];
    for (const t of this.tables.values()) {
      if (t.all) clearKinds.push(t.kind);
      for (const id of t.all ? t.table.ids() : t.dirty) {
        const record = t.table.get(id);
        rows.push({
          kind: t.kind,
          id,
          value: record === undefined ? null : JSON.stringify(t.encode(record, id)),
        });
      }
    }
    const events = this.logs.get('events');
    const journal = this.logs.get('journal');
    const idle =
      meta.length + rows.length + clearKinds.length === 0 &&
      !events?.pending.length &&
      !journal?.pending.length &&
      !journal?.cleared;
    if (idle) return;
    try {
      this.file.commit({
        meta,
        rows,
        clearKinds,
        clearJournal: journal?.cleared ?? false,
        events: events?.pending ?? [],
        journal: journal?.pending ?? [],
      });
    } catch (e) {
      if (this.failures++ % REPORT_EVERY === 0) this.options.onError?.(e as Error);
      throw e;
    }
    this.failures = 0;
    this.commits++;
    for (const d of documents) {
      const doc = this.documents.get(d.key) as TrackedDocument;
      doc.written = d.text;
      doc.seen = d.revision;
    }
    for (const t of this.tables.values()) {
      t.dirty.clear();
      t.all = false;
    }
    for (const log of this.logs.values()) {
      log.pending = [];
      log.cleared = false;
    }
  }

  /** Commits what is pending (a failure is reported, not thrown) and closes the file. */
  close(): void {
    if (this.closed) return;
    try {
      this.commit();
    } catch {
      // Reported through onError; nothing more can be saved.
    }
    this.closed = true;
    this.file.close();
  }

  /** The documents whose saved form changed: key, text, and the revision it was encoded at. */
  private changedDocuments(): ChangedDocument[] {
    const out: ChangedDocument[] = [];
    for (const [key, doc] of this.documents) {
      const revision = doc.revision ? doc.revision() : NOT_SEEN;
      // Unchanged since the text written last was encoded.
      if (doc.revision && revision === doc.seen) continue;
      const text = JSON.stringify(doc.encode());
      if (doc.written !== text) out.push({ key, text, revision });
      else doc.seen = revision;
    }
    return out;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      try {
        this.commit();
      } catch {
        // Reported through onError; the next commit tries again.
      }
    };
    if (this.options.schedule) this.options.schedule(run);
    // Once per turn of the event loop (not per microtask): I/O batching, not simulated time.
    // eslint-disable-next-line no-restricted-syntax
    else setImmediate(run);
  }
}
