/**
 * `GET /api/events` in pages (`limit`, `after`; the answer's `next` and `more`) over real HTTP on
 * 127.0.0.1, with the memory store and with the SQLite state file (whose positions survive a
 * restart); and the SQLite implementation of the log port's page read, which reads a range of
 * the file, never the whole log.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/state/sqlite-state-store.js';
import { StateFile } from '../../src/adapters/state/state-store.js';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { toJson } from '../../src/core/timeline/format.js';
import { api, fresh, TEST_SERVE } from '../helpers/serve.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-pages-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

interface Page {
  readonly events: Record<string, unknown>[];
  readonly next: string;
  readonly more: boolean;
}

async function get<T>(s: RunningServe, path: string): Promise<{ status: number; body: T }> {
  const res = await fresh(`${s.controlUrl}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

/** Every page of `query` from `after`, `limit` at a time, checking each answer's shape. */
async function pageThrough(
  s: RunningServe,
  query: string,
  after = '0',
): Promise<{ events: Record<string, unknown>[]; pages: Page[]; next: string }> {
  const pages: Page[] = [];
  let cursor = after;
  for (;;) {
    const res = await get<Page>(s, `/api/events?${query}&after=${cursor}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['events', 'more', 'next']);
    pages.push(res.body);
    cursor = res.body.next;
    if (!res.body.more) break;
  }
  return { events: pages.flatMap((p) => p.events), pages, next: cursor };
}

/** What the event log holds for `query`, as the API writes events. */
function expected(s: RunningServe, query: Parameters<RunningServe['events']['list']>[0] = {}) {
  return JSON.parse(JSON.stringify(s.events.list(query).map(toJson))) as unknown;
}

const advance = (s: RunningServe, duration: string): Promise<void> => api(s).advance(duration);

describe('GET /api/events in pages', () => {
  let s: RunningServe;
  beforeAll(async () => {
    s = await startServe(io, TEST_SERVE);
    await advance(s, 'P20D');
  });
  afterAll(() => s.close());

  it('pages through the log: every event exactly once, in order; more and next say where to go on', async () => {
    const all = expected(s) as unknown[];
    expect(all.length).toBeGreaterThan(40);
    const { events, pages } = await pageThrough(s, 'limit=7');
    expect(events).toEqual(all);
    expect(pages).toHaveLength(Math.ceil(all.length / 7));
    for (const p of pages.slice(0, -1)) expect(p).toMatchObject({ more: true });
    expect(pages.slice(0, -1).every((p) => p.events.length === 7)).toBe(true);
    expect(pages.at(-1)?.more).toBe(false);
    // Cursors only move forward.
    const cursors = pages.map((p) => Number(p.next));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
  });

  it('follows new events from the last next: only what happened since, once', async () => {
    const { next } = await pageThrough(s, 'limit=500');
    const before = (expected(s) as unknown[]).length;
    const idle = await get<Page>(s, `/api/events?after=${next}`);
    expect(idle.body).toEqual({ events: [], next, more: false });
    await advance(s, 'P3D');
    const after = await pageThrough(s, 'limit=5', next);
    expect(after.events).toEqual((expected(s) as unknown[]).slice(before));
    expect(after.events.length).toBeGreaterThan(0);
  });

  it('keeps the filters working with paging: device, type family, since', async () => {
    const since = (expected(s, {}) as { time: string }[])[20]?.time as string;
    const { events } = await pageThrough(
      s,
      `device=laptop&type=session&since=${encodeURIComponent(since)}&limit=3`,
    );
    expect(events).toEqual(
      expected(s, { device: 'laptop', type: 'session', since: Date.parse(since) }),
    );
    expect(events.length).toBeGreaterThan(3);
  });

  it('answers 1,000 events a page by default, and up to 10,000 when asked', async () => {
    const all = expected(s) as unknown[];
    const first = await get<Page>(s, '/api/events');
    expect(first.body.events).toEqual(all.slice(0, 1000));
    expect(first.body.more).toBe(all.length > 1000);
    expect((await get<Page>(s, '/api/events?limit=10000')).status).toBe(200);
  });

  it('refuses a limit over the maximum or not a positive whole number, naming limit', async () => {
    for (const limit of ['10001', '0', '-3', '1.5', 'ten', '', '99999999999999999999']) {
      const res = await get<{ error: string }>(s, `/api/events?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.body.error).toMatch(/^limit: expected a whole number from 1 to 10000, got /);
    }
  });

  it('refuses a cursor that is not one, or is past the newest event, naming after', async () => {
    for (const after of ['abc', '-1', '1e3', '']) {
      const res = await get<{ error: string }>(s, `/api/events?after=${after}`);
      expect(res.status, after).toBe(400);
      expect(res.body.error).toMatch(/^after: expected the "next" of an earlier answer, got /);
    }
    const past = await get<{ error: string }>(s, '/api/events?after=99999999');
    expect(past.status).toBe(400);
    expect(past.body.error).toMatch(/^after: 99999999 is past the newest event \(\d+\)/);
    expect((await get(s, '/api/events?since=yesterday')).status).toBe(400);
  });
});

describe('GET /api/events in pages with durable state', () => {
  it('reads its pages from the state file, and a cursor goes on after a restart', async () => {
    const file = join(tempDir(), 'state.db');
    const options = { ...TEST_SERVE, memory: false, state: file };
    let s = await startServe(io, options);
    try {
      await advance(s, 'P5D');
      const read = vi.spyOn(StateFile.prototype, 'page');
      const first = await pageThrough(s, 'limit=4');
      expect(first.events).toEqual(expected(s));
      expect(read).toHaveBeenCalled();
      await s.close();
      s = await startServe(io, options);
      await advance(s, 'P2D');
      const all = expected(s) as unknown[];
      const rest = await pageThrough(s, 'limit=4', first.next);
      expect(rest.events.length).toBeGreaterThan(0);
      // The restart took back every event: the new ones follow them, each once.
      expect([...first.events, ...rest.events]).toEqual(all);
    } finally {
      await s.close();
    }
  });
});

describe('SqliteStateStore log pages', () => {
  function store(): { store: SqliteStateStore; file: StateFile } {
    const file = StateFile.open(join(tempDir(), 'state.db'));
    return { store: new SqliteStateStore(file, { schedule: () => undefined }), file };
  }

  it('reads a range of the file from the position on (WHERE seq > ?), never the whole log', () => {
    const { store: st, file } = store();
    const log = st.log<{ n: number }>('events');
    for (let n = 1; n <= 5000; n++) log.append({ n });
    st.commit();
    const whole = vi.spyOn(file, 'read');
    const range = vi.spyOn(file, 'page');
    const page = log.read({ after: 4990, limit: 3 });
    expect(page).toEqual({
      entries: [4991, 4992, 4993].map((n) => ({ seq: n, value: { n } })),
      next: 4993,
      more: true,
      last: 5000,
    });
    expect(whole).not.toHaveBeenCalled();
    expect(range.mock.calls.every(([, after, limit]) => after >= 4990 && limit <= 1000)).toBe(true);
    st.close();
  });

  it('pages through every entry once, with a filter and a scan bound; pending entries are written first', () => {
    const { store: st } = store();
    const log = st.log<{ n: number }>(
      'events',
      (e) => ({ saved: e.n }),
      (saved) => ({ n: (saved as { saved: number }).saved }),
    );
    for (let n = 1; n <= 2500; n++) log.append({ n });
    // Not committed yet: the read commits what is pending, so it has its position.
    const seen: number[] = [];
    let after = 0;
    let short = 0;
    for (;;) {
      const page = log.read({ after, limit: 100, keep: (e) => e.n % 7 === 0, scan: 600 });
      if (page.entries.length < 100 && page.more) short++;
      seen.push(...page.entries.map((e) => e.value.n));
      if (!page.more) break;
      after = page.next;
    }
    expect(seen).toEqual(Array.from({ length: 357 }, (_, i) => (i + 1) * 7));
    expect(short).toBeGreaterThan(0);
    st.close();
  });
});
