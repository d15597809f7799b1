/**
 * The SQLite file behind `dmpush serve --state FILE` (better-sqlite3): what the live fleet keeps
 * across restarts, written in transactions.
 *
 * Tables:
 * - `meta(key, value)`: one JSON document per key (the fleet's identity, the simulation's clock
 *   and actions, the emulator's apps, tokens and service state);
 * - `rows(kind, id, value)`: one JSON document per device and part (`device`, `wns`, `mdm`), and the emulator's apps and tokens (`wns-app`, `wns-token`);
 * - `events(seq, value)`: the timeline, oldest first;
 * - `journal(seq, value)`: the WNS emulator's request journal.
 *
 * The database runs in WAL mode with `synchronous = NORMAL`: a committed transaction survives the
 * process being killed (`kill -9`); after a power cut the last transactions may be lost (SQLite's
 * documented trade-off for that setting). It holds an exclusive lock while open, so a second
 * process on the same file gets a clear error instead of sharing a fleet.
 *
 * @module
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DmpushError } from '../../core/errors.js';

/** The schema this build writes and reads (`meta.format`). */
// 2: apps and access tokens are rows of their own (`wns-app`, `wns-token`), not part of meta
// `wns`; journal entries are appended with the file's own sequence.
const STATE_FORMAT = 2;

/** Why a state file cannot be used; the message names the file and what is wrong. */
export class StateFileError extends DmpushError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_STATE_FILE', message, options);
  }
}

/** One row to write (a JSON text) or delete (null). */
export interface RowChange {
  readonly kind: string;
  readonly id: string;
  readonly value: string | null;
}

/** What one {@link StateFile.commit} writes, all or nothing. */
export interface StateChanges {
  readonly meta: readonly (readonly [key: string, value: string])[];
  readonly rows: readonly RowChange[];
  /** Kinds whose rows are all deleted before `rows` are written. */
  readonly clearKinds?: readonly string[];
  /** Empties the journal before `journal` is appended. */
  readonly clearJournal?: boolean;
  /** New timeline events (JSON texts), oldest first. */
  readonly events: readonly string[];
  /** New journal entries (JSON texts), oldest first. */
  readonly journal: readonly string[];
}

/** Everything a state file holds, as JSON texts. */
export interface StoredState {
  readonly meta: ReadonlyMap<string, string>;
  /** Rows by kind, then by id. */
  readonly rows: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** The newest `limit` events, oldest first. */
  readonly events: readonly string[];
  readonly journal: readonly string[];
}

/** The logs a state file keeps. */
export type LogTable = 'events' | 'journal';

/** An entry of a log as stored: its position and its JSON text. */
export interface StoredEntry {
  readonly seq: number;
  readonly value: string;
}

/** How many of the newest events and journal entries a store keeps. */
export interface StoreLimits {
  readonly events: number;
  readonly journal: number;
}

const DEFAULT_LIMITS: StoreLimits = { events: 1_000_000, journal: 100_000 };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
  kind TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, value TEXT NOT NULL);
`;

/** Trims old events and journal entries every this many appended. */
const TRIM_EVERY = 10_000;

/** An open state file. Every write is one transaction. */
export class StateFile {
  private readonly db: Database.Database;
  private readonly putMeta: Database.Statement<[string, string]>;
  private readonly putRow: Database.Statement<[string, string, string]>;
  private readonly deleteRow: Database.Statement<[string, string]>;
  private readonly clearKind: Database.Statement<[string]>;
  private readonly addEvent: Database.Statement<[string]>;
  private readonly addJournal: Database.Statement<[string]>;
  private readonly clearJournal: Database.Statement<[]>;
  private readonly write: (changes: StateChanges) => void;
  private readonly pages: Record<LogTable, Database.Statement<[number, number]>>;
  private readonly newest: Record<LogTable, Database.Statement<[]>>;
  private appended = 0;

  private constructor(
    readonly file: string,
    private readonly limits: StoreLimits,
  ) {
    let db: Database.Database | null = null;
    try {
      if (file !== ':memory:') ownerOnly(file);
      db = new Database(file, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      // Somebody else's database is left as it was (no WAL switch, no tables added).
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      if (tables.length > 0 && !tables.includes('meta'))
        throw new StateFileError(
          `${file} is an SQLite database but not a dmpush state file (tables ${tables.join(', ')}): use another --state file`,
        );
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // With NORMAL, only checkpoints sync to disk: checkpoint every 10,000 WAL pages (about
      // 40 MB) rather than SQLite's 1,000, so a busy fleet syncs a tenth as often. Closing the
      // file checkpoints it whole.
      db.pragma('wal_autocheckpoint = 10000');
      db.exec(SCHEMA);
      let format: { value: string } | undefined;
      try {
        format = db.prepare('SELECT value FROM meta WHERE key = ?').get('format') as
          { value: string } | undefined;
      } catch {
        throw new StateFileError(
          `${file} is an SQLite database but not a dmpush state file (its meta table is not dmpush's): use another --state file`,
        );
      }
      if (format && format.value !== String(STATE_FORMAT))
        throw new StateFileError(
          `${file}: state format ${format.value}, this dmpush reads format ${STATE_FORMAT}: ` +
            'use another --state file or delete this one',
        );
      // A state file from an older build may be readable by others: it is ours, so close it.
      if (file !== ':memory:') chmodSync(file, 0o600);
    } catch (e) {
      db?.close();
      throw e instanceof StateFileError ? e : new StateFileError(describeOpenError(file, e));
    }
    this.db = db;
    this.putMeta = this.db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.putRow = this.db.prepare(
      'INSERT INTO rows (kind, id, value) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value',
    );
    this.deleteRow = this.db.prepare('DELETE FROM rows WHERE kind = ? AND id = ?');
    this.clearKind = this.db.prepare('DELETE FROM rows WHERE kind = ?');
    this.addEvent = this.db.prepare('INSERT INTO events (value) VALUES (?)');
    this.clearJournal = this.db.prepare('DELETE FROM journal');
    this.addJournal = this.db.prepare('INSERT INTO journal (value) VALUES (?)');
    const page = (t: LogTable): Database.Statement<[number, number]> =>
      this.db.prepare(`SELECT seq, value FROM ${t} WHERE seq > ? ORDER BY seq LIMIT ?`);
    const newest = (t: LogTable): Database.Statement<[]> =>
      this.db.prepare(`SELECT max(seq) AS seq FROM ${t}`);
    this.pages = { events: page('events'), journal: page('journal') };
    this.newest = { events: newest('events'), journal: newest('journal') };
    this.write = this.db.transaction((c: StateChanges) => {
      for (const [key, value] of c.meta) this.putMeta.run(key, value);
      for (const kind of c.clearKinds ?? []) this.clearKind.run(kind);
      if (c.clearJournal) this.clearJournal.run();
      for (const r of c.rows)
        if (r.value === null) this.deleteRow.run(r.kind, r.id);
        else this.putRow.run(r.kind, r.id, r.value);
      for (const e of c.events) this.addEvent.run(e);
      for (const j of c.journal) this.addJournal.run(j);
      this.appended += c.events.length + c.journal.length;
      if (this.appended >= TRIM_EVERY) {
        this.appended = 0;
        this.trim();
      }
    });
    // Takes the exclusive lock now (a second process fails at open, not at its first write), and
    // keeps the tables within their limits however short the runs that filled them.
    damagedAs(
      file,
      () => {
        this.write({ meta: [['format', String(STATE_FORMAT)]], rows: [], events: [], journal: [] });
        this.trim();
      },
      () => this.db.close(),
    );
  }

  /**
   * Opens (creating it and its folder if needed) the state file at `file`. Throws
   * {@link StateFileError} when it cannot be opened, is not a state file of this format, or is
   * in use by another process.
   */
  static open(file: string, limits: StoreLimits = DEFAULT_LIMITS): StateFile {
    return new StateFile(file, limits);
  }

  /** Writes `changes` in one transaction (all or nothing). */
  commit(changes: StateChanges): void {
    this.write(changes);
  }

  /**
   * Everything the file holds: the newest events and journal entries within the store's limits,
   * or within `limits` when smaller (a reader that keeps fewer need not load more).
   */
  read(limits: Partial<StoreLimits> = {}): StoredState {
    return damagedAs(this.file, () => this.readAll(limits));
  }

  private readAll(limits: Partial<StoreLimits>): StoredState {
    const meta = new Map<string, string>();
    for (const r of this.db.prepare('SELECT key, value FROM meta').all() as {
      key: string;
      value: string;
    }[])
      meta.set(r.key, r.value);
    const rows = new Map<string, Map<string, string>>();
    for (const r of this.db.prepare('SELECT kind, id, value FROM rows ORDER BY kind, id').all() as {
      kind: string;
      id: string;
      value: string;
    }[]) {
      let kind = rows.get(r.kind);
      if (!kind) rows.set(r.kind, (kind = new Map<string, string>()));
      kind.set(r.id, r.value);
    }
    const newest = (table: 'events' | 'journal', limit: number): string[] =>
      (
        this.db
          .prepare(
            `SELECT value FROM (SELECT seq, value FROM ${table} ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
          )
          .all(limit) as { value: string }[]
      ).map((r) => r.value);
    return {
      meta,
      rows,
      events: newest('events', Math.min(limits.events ?? Infinity, this.limits.events)),
      journal: newest('journal', Math.min(limits.journal ?? Infinity, this.limits.journal)),
    };
  }

  /**
   * Up to `limit` entries of `log` after position `after`, oldest first: a range of its primary
   * key (`WHERE seq > ? ORDER BY seq LIMIT ?`), however long the log.
   */
  page(log: LogTable, after: number, limit: number): StoredEntry[] {
    return damagedAs(this.file, () => this.pages[log].all(after, limit) as StoredEntry[]);
  }

  /** The position of the newest entry of `log` (0 when it is empty). */
  lastSeq(log: LogTable): number {
    return damagedAs(this.file, () => (this.newest[log].get() as { seq: number | null }).seq ?? 0);
  }

  /** Number of events stored. */
  eventCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  /** Closes the file (the lock is released). */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private trim(): void {
    this.db
      .prepare('DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?')
      .run(this.limits.events);
    this.db
      .prepare('DELETE FROM journal WHERE seq <= (SELECT max(seq) FROM journal) - ?')
      .run(this.limits.journal);
  }
}

/**
 * Creates `file` (and its folder) readable by its owner only: the file holds the emulator's app
 * secrets and access tokens. SQLite gives its WAL and shared-memory files the same permissions.
 * An existing file is made so once it is known to be a dmpush state file (see the constructor).
 */
function ownerOnly(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}

/**
 * Runs `work` on the file; SQLite's "malformed" or "not a database" found on the way becomes a
 * {@link StateFileError} saying the file is damaged (after `cleanup`), not a stack trace.
 */
function damagedAs<T>(file: string, work: () => T, cleanup: () => void = () => undefined): T {
  try {
    return work();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB') throw e;
    cleanup();
    throw new StateFileError(
      `${file} is damaged (${(e as Error).message}): start afresh with another --state file or --memory, or delete it`,
    );
  }
}

function describeOpenError(file: string, e: unknown): string {
  const error = e as { code?: string; message?: string };
  if (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED')
    return `${file} is in use by another dmpush process (one fleet per state file): stop it, or use another --state file`;
  if (error.code === 'SQLITE_NOTADB' || error.code === 'SQLITE_CORRUPT')
    return `${file} is not a dmpush state file (not an SQLite database): use another --state file or delete it`;
  return `cannot open state file ${file}: ${error.code ?? error.message ?? String(e)}`;
}
