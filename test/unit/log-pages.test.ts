/**
 * Reading a log a page at a time (the state port's `AppendLog.read`, memory implementation, and
 * the event log's `page`): every entry once, in order, from any position, without copying the
 * whole log (the SQLite implementation is tested in test/integration/event-pages.test.ts).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryLog, MemoryStateStore, type LogPage } from '../../src/core/state/state-store.js';
import { EventLog } from '../../src/core/timeline/event-log.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import { Ring } from '../../src/core/util/ring.js';

afterEach(() => vi.restoreAllMocks());

/** Every entry of `log` accepted by `keep`, read `limit` at a time from position 0. */
function pageThrough<T>(read: (after: number) => LogPage<T>): {
  values: T[];
  seqs: number[];
  pages: number;
} {
  const values: T[] = [];
  const seqs: number[] = [];
  let after = 0;
  let pages = 0;
  for (;;) {
    const page = read(after);
    pages++;
    for (const e of page.entries) {
      values.push(e.value);
      seqs.push(e.seq);
    }
    expect(page.next).toBeGreaterThanOrEqual(after);
    if (!page.more) return { values, seqs, pages };
    expect(page.next).toBeGreaterThan(after);
    after = page.next;
  }
}

describe('MemoryLog.read', () => {
  it('pages through the entries kept, each once and in order, whatever the capacity, limit, filter and scan bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (capacity, appended, limit, scan) => {
          const log = new MemoryLog<number>(capacity);
          for (const n of appended) log.append(n);
          const kept = appended.slice(-capacity);
          const even = (n: number): boolean => n % 2 === 0;
          const all = pageThrough((after) => log.read({ after, limit, scan }));
          expect(all.values).toEqual(kept);
          // Positions count every entry appended: the oldest kept is appended.length - kept + 1.
          const first = appended.length - kept.length + 1;
          expect(all.seqs).toEqual(kept.map((_, i) => first + i));
          const some = pageThrough((after) => log.read({ after, limit, keep: even, scan }));
          expect(some.values).toEqual(kept.filter(even));
        },
      ),
    );
  });

  it('starts after the position given, says where the next page starts and whether there is one', () => {
    const log = new MemoryLog<string>(3);
    for (const s of ['a', 'b', 'c', 'd', 'e']) log.append(s);
    // Kept: c (3), d (4), e (5).
    expect(log.read({ after: 3, limit: 1 })).toEqual({
      entries: [{ seq: 4, value: 'd' }],
      next: 4,
      more: true,
      last: 5,
    });
    expect(log.read({ after: 4, limit: 10 })).toEqual({
      entries: [{ seq: 5, value: 'e' }],
      next: 5,
      more: false,
      last: 5,
    });
    // From before the oldest kept: from the oldest kept.
    expect(log.read({ after: 0, limit: 1 }).entries).toEqual([{ seq: 3, value: 'c' }]);
    // At the newest: nothing yet, and the same position to ask again later.
    expect(log.read({ after: 5, limit: 10 })).toEqual({
      entries: [],
      next: 5,
      more: false,
      last: 5,
    });
    log.append('f');
    expect(log.read({ after: 5, limit: 10 }).entries).toEqual([{ seq: 6, value: 'f' }]);
  });

  it('examines at most `scan` entries: a filter few pass gives a short page with `more`', () => {
    const log = new MemoryLog<number>(100);
    for (let i = 1; i <= 50; i++) log.append(i);
    const page = log.read({ after: 0, limit: 10, keep: (n) => n % 20 === 0, scan: 25 });
    expect(page).toEqual({ entries: [{ seq: 20, value: 20 }], next: 25, more: true, last: 50 });
  });

  it('reads a page without copying the log (no full list)', () => {
    const log = new MemoryLog<number>(200_000);
    for (let i = 0; i < 200_000; i++) log.append(i);
    const toArray = vi.spyOn(Ring.prototype, 'toArray');
    const list = vi.spyOn(log, 'list');
    const page = log.read({ after: 150_000, limit: 3 });
    expect(page.entries.map((e) => e.value)).toEqual([150_000, 150_001, 150_002]);
    expect(toArray).not.toHaveBeenCalled();
    expect(list).not.toHaveBeenCalled();
  });

  it('is what MemoryStateStore gives for a log (it keeps the newest entries)', () => {
    const store = new MemoryStateStore(2);
    const log = store.log<number>('events');
    for (const n of [1, 2, 3]) log.append(n);
    expect(log.read({ after: 0, limit: 10 }).entries.map((e) => e.value)).toEqual([2, 3]);
  });
});

describe('EventLog.page', () => {
  const at = (
    i: number,
    device: string,
    type: 'session.started' | 'power.changed',
  ): TimelineEvent =>
    type === 'session.started'
      ? { time: i * 1000, device, type, trigger: 'poll' }
      : { time: i * 1000, device, type, charging: false, level: 50 };

  function filled(): EventLog {
    const log = new EventLog(1000);
    for (let i = 0; i < 300; i++)
      log.emit(at(i, i % 3 === 0 ? 'a' : 'b', i % 2 ? 'session.started' : 'power.changed'));
    return log;
  }

  it('pages with the filters of list: device, type family, since', () => {
    const log = filled();
    const query = { device: 'a', type: 'session', since: 100_000 };
    const paged = pageThrough((after) => log.page(query, { after, limit: 7 }));
    expect(paged.values).toEqual(log.list(query));
    expect(paged.values.length).toBeGreaterThan(14);
  });

  it('reads the pages from the store log it keeps events in, not from its own list', () => {
    const log = filled();
    const stored = new MemoryLog<TimelineEvent>();
    log.keepIn(stored);
    log.emit(at(400, 'a', 'power.changed'));
    const read = vi.spyOn(stored, 'read');
    const list = vi.spyOn(log, 'list');
    const page = log.page({ device: 'a' }, { after: 0, limit: 5 });
    // Events logged before keepIn (those a restart took back) are in the store already.
    expect(page.entries.map((e) => e.value.time)).toEqual([400_000]);
    expect(read).toHaveBeenCalledOnce();
    expect(list).not.toHaveBeenCalled();
  });
});
