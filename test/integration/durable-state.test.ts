/**
 * Durable state (issue 5 §4): the SQLite store, `dmpush serve --state` stopped and started again
 * (in process, virtual clock), timers that came due while stopped, and the built CLI killed with
 * SIGKILL and started again. Real sockets on 127.0.0.1, a real SQLite file; nothing sleeps.
 */
import {
  chmodSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateFileError, StateFile } from '../../src/adapters/state/state-store.js';
import { SqliteStateStore } from '../../src/adapters/state/sqlite-state-store.js';
import { startServe, type RunningServe, type ServeOptions } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { Simulation } from '../../src/core/simulation.js';
import { TimerRestore } from '../../src/core/snapshot.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { DAY } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { loadScenario } from '../../src/scenario/load.js';
import { cli, startProcess } from '../helpers/cli.js';
import { fixture } from '../helpers/run-scenario.js';
import { allEvents, api, fresh, TEST_SERVE, type Api, type DeviceJson } from '../helpers/serve.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-state-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('StateFile (SQLite, WAL)', () => {
  it('creates the file and its folder, and keeps what was committed across a reopen', () => {
    const file = join(tempDir(), 'nested', 'state.db');
    const a = StateFile.open(file);
    a.commit({
      meta: [['k', '"v"']],
      rows: [
        { kind: 'device', id: 'a', value: '{"n":1}' },
        { kind: 'device', id: 'b', value: '{"n":2}' },
      ],
      events: ['{"e":1}', '{"e":2}'],
      journal: ['{"j":1}'],
    });
    a.commit({
      meta: [],
      rows: [{ kind: 'device', id: 'a', value: null }],
      events: ['{"e":3}'],
      journal: [],
    });
    a.close();
    const b = StateFile.open(file);
    const read = b.read();
    expect(read.meta.get('k')).toBe('"v"');
    expect([...(read.rows.get('device') ?? [])]).toEqual([['b', '{"n":2}']]);
    expect(read.events).toEqual(['{"e":1}', '{"e":2}', '{"e":3}']);
    expect(read.journal).toEqual(['{"j":1}']);
    b.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('is readable by its owner only (it holds app secrets and tokens), WAL included', () => {
    const file = join(tempDir(), 'private', 'state.db');
    const store = StateFile.open(file);
    store.commit({ meta: [['k', '"v"']], rows: [], events: ['{}'], journal: [] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    store.close();
    // A state file left readable by others (an older build) is closed to them on open.
    chmodSync(file, 0o644);
    StateFile.open(file).close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged file with a clear error naming it, not a stack trace', () => {
    const file = join(tempDir(), 'state.db');
    const store = StateFile.open(file);
    store.commit({
      meta: [['k', '"v"']],
      rows: Array.from({ length: 300 }, (_, i) => ({
        kind: 'device',
        id: `d${i}`,
        value: JSON.stringify({ i, pad: 'x'.repeat(2000) }),
      })),
      events: [],
      journal: [],
    });
    store.close();
    // Garbage over a page in the middle of the rows.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096 * 5);
    closeSync(fd);
    expect(() => StateFile.open(file).read()).toThrow(
      new StateFileError(
        `${file} is damaged (database disk image is malformed): start afresh with another --state file or --memory, or delete it`,
      ),
    );
  });

  it('writes a commit all or nothing', () => {
    const file = join(tempDir(), 'state.db');
    const store = StateFile.open(file);
    expect(() =>
      store.commit({
        meta: [['written', '"no"']],
        rows: [{ kind: 'device', id: 'a', value: '{}' }],
        // NOT NULL: the transaction fails at its last statement.
        events: [null as unknown as string],
        journal: [],
      }),
    ).toThrow();
    const read = store.read();
    expect(read.meta.has('written')).toBe(false);
    expect(read.rows.size).toBe(0);
    store.close();
  });

  it('reads back the newest events and journal entries within its limits, oldest first', () => {
    const store = StateFile.open(join(tempDir(), 'state.db'), { events: 3, journal: 2 });
    store.commit({
      meta: [],
      rows: [],
      events: ['1', '2', '3', '4', '5'],
      journal: ['1', '2', '3'],
    });
    expect(store.read().events).toEqual(['3', '4', '5']);
    expect(store.read().journal).toEqual(['2', '3']);
    // A reader that keeps fewer loads fewer.
    expect(store.read({ events: 2 }).events).toEqual(['4', '5']);
    store.close();
  });

  it('refuses a file another process (or connection) holds, a non-SQLite file and another format', () => {
    const dir = tempDir();
    const file = join(dir, 'state.db');
    const holder = StateFile.open(file);
    expect(() => StateFile.open(file)).toThrow(
      new StateFileError(
        `${file} is in use by another dmpush process (one fleet per state file): stop it, or use another --state file`,
      ),
    );
    holder.close();

    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database '.repeat(200));
    expect(() => StateFile.open(junk)).toThrow(/junk\.db is not a dmpush state file/);

    // Somebody else's database: refused, left as it was, and not kept locked.
    const app = join(dir, 'app.db');
    const appDb = new Database(app);
    appDb.exec('CREATE TABLE users (id INTEGER)');
    appDb.close();
    expect(() => StateFile.open(app)).toThrow(
      /app\.db is an SQLite database but not a dmpush state file \(tables users\)/,
    );
    const look = new Database(app);
    expect(
      (
        look.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[]
      ).map((t) => t.name),
    ).toEqual(['users']);
    look.exec('INSERT INTO users VALUES (1)');
    look.close();
    const shaped = join(dir, 'shaped.db');
    const shapedDb = new Database(shaped);
    shapedDb.exec('CREATE TABLE meta (name TEXT, v TEXT)');
    shapedDb.close();
    expect(() => StateFile.open(shaped)).toThrow(
      /shaped\.db is an SQLite database but not a dmpush state file \(its meta table/,
    );
    expect(() => StateFile.open(shaped)).toThrow(/not a dmpush state file/);

    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('format', '99')",
    );
    db.close();
    expect(() => StateFile.open(other)).toThrow(
      /other\.db: state format 99, this dmpush reads format 2/,
    );
  });
});

describe('SqliteStateStore', () => {
  it('writes what the parts change through their tables and logs, in one commit each', () => {
    const file = join(tempDir(), 'state.db');
    const store = new SqliteStateStore(StateFile.open(file), { schedule: () => undefined });
    const table = store.table<{ n: number }>('device', (r) => ({ n: r.n }));
    const events = store.log<{ e: number }>('events');
    let doc = 1;
    store.document('simulation', () => ({ doc }));
    table.set('a', { n: 1 });
    table.set('b', { n: 2 });
    events.append({ e: 1 });
    store.commit();
    expect(store.commits).toBe(1);
    // Nothing changed: nothing written.
    store.commit();
    expect(store.commits).toBe(1);
    table.update('a', (r) => void (r.n = 10));
    table.delete('b');
    doc = 2;
    store.commit();
    expect(store.commits).toBe(2);
    const read = store.read();
    expect([...(read.rows.get('device') ?? [])]).toEqual([['a', '{"n":10}']]);
    expect(read.meta.get('simulation')).toBe('{"doc":2}');
    expect(read.events).toEqual(['{"e":1}']);
    // A cleared table drops the rows it no longer holds.
    table.set('c', { n: 3 });
    table.clear();
    table.set('d', { n: 4 });
    store.commit();
    expect([...(store.read().rows.get('device') ?? [])]).toEqual([['d', '{"n":4}']]);
    store.close();
  });

  it('encodes a document with a revision only when the revision moved, even after a failed commit', () => {
    const file = StateFile.open(join(tempDir(), 'state.db'));
    const store = new SqliteStateStore(file, { schedule: () => undefined });
    let value = 1;
    let revision = 1;
    let encoded = 0;
    store.document(
      'doc',
      () => {
        encoded++;
        return { value };
      },
      () => revision,
    );
    store.commit();
    store.commit();
    expect(encoded).toBe(1);
    // A change the revision does not show is not seen (the revision is the part's promise)...
    value = 2;
    store.commit();
    expect(store.read().meta.get('doc')).toBe('{"value":1}');
    // ...one it shows is written.
    revision = 2;
    store.commit();
    expect(store.read().meta.get('doc')).toBe('{"value":2}');
    // A failed commit does not count as written: the next one writes the document again.
    const failing = StateFile.open(join(tempDir(), 'other.db'));
    const again = new SqliteStateStore(failing, { schedule: () => undefined });
    again.document(
      'doc',
      () => ({ value }),
      () => revision,
    );
    failing.close();
    expect(() => again.commit()).toThrow(/not open/);
    expect(() => again.commit()).toThrow(/not open/);
    store.close();
  });

  it('schedules a commit for the end of the turn when a record changes', async () => {
    const store = new SqliteStateStore(StateFile.open(join(tempDir(), 'state.db')));
    const table = store.table<{ n: number }>('device', (r) => r);
    table.set('a', { n: 1 });
    expect(store.commits).toBe(0);
    // eslint-disable-next-line no-restricted-syntax -- one event-loop turn, not a timer
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.commits).toBe(1);
    store.close();
  });

  it('reports a failing file (once, then every 100th), keeps what was pending, and throws', () => {
    const file = StateFile.open(join(tempDir(), 'state.db'));
    const errors: string[] = [];
    const store = new SqliteStateStore(file, {
      onError: (e) => errors.push(e.message),
      schedule: () => undefined,
    });
    const events = store.log<{ e: number }>('events');
    events.append({ e: 0 });
    store.commit();
    file.close();
    events.append({ e: 1 });
    for (let i = 0; i < 150; i++) expect(() => store.commit()).toThrow(/not open/);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/not open/);
  });
});

describe('restoring after downtime: timers that came due meanwhile', () => {
  it('TimerRestore runs overdue timers first, in the order they fell due; the rest keep their ranks', () => {
    const clock = new VirtualClock({ start: 1000 });
    const ran: string[] = [];
    const restore = new TimerRestore();
    const timer = (name: string, at: number, seq: number): void =>
      restore.arm({ at, seq }, () => void clock.schedule(at, () => ran.push(name)));
    timer('late-b', 700, 3);
    timer('ahead-2', 2000, 5);
    timer('late-a', 500, 9);
    timer('ahead-1', 2000, 4);
    timer('late-c', 900, 1);
    restore.replay(clock, 12);
    expect(clock.nextSeq).toBe(12);
    clock.runUntil(3000);
    expect(ran).toEqual(['late-a', 'late-b', 'late-c', 'ahead-1', 'ahead-2']);
  });

  it('a repeating scenario action missed while stopped runs once, then on its schedule', () => {
    const spec = loadScenario(
      [
        'seed: 3',
        'start: 2026-01-01T00:00:00Z',
        'duration: P30D',
        'devices:',
        '  - id: laptop',
        '    os: "1607"',
        '    battery: { level: 90, charging: true }',
        'events:',
        '  - at: PT1H',
        '    every: PT1H',
        '    device: laptop',
        '    reboot: true',
      ].join('\n'),
      {},
      'inline.yaml',
    );
    const first = new Simulation(spec, new MemorySink());
    first.run(spec.start + DAY + 30 * 60_000);
    const data = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    const later = spec.start + 8 * DAY + 10 * 60_000;
    const clock = new VirtualClock({ start: later });
    const sink = new MemorySink();
    Simulation.restore(spec, data, sink, { clock });
    clock.runUntil(later + 3 * 3_600_000);
    const reboots = sink.events.filter((e) => e.type === 'device.rebooted').map((e) => e.time);
    // One for the 7 days missed, then the hourly schedule (8 d 1 h, 8 d 2 h, 8 d 3 h).
    expect(reboots).toEqual([later, ...[1, 2, 3].map((h) => spec.start + 8 * DAY + h * 3_600_000)]);
  });

  it('a device restored 35 days later renews at once (its renewal fell due before its expiry)', () => {
    const spec = loadScenario(
      [
        'seed: 3',
        'start: 2026-01-01T00:00:00Z',
        'duration: P90D',
        'devices:',
        '  - id: laptop',
        '    os: "1607"',
        '    pfn: Contoso.MDM_8wekyb3d8bbwe',
        '    battery: { level: 90, charging: true }',
      ].join('\n'),
      {},
      'inline.yaml',
    );
    const first = new Simulation(spec, new MemorySink());
    first.run(spec.start + 5 * DAY);
    const data = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    const before = first.device('laptop')?.snapshot();
    expect(before?.nextRenewal?.at).toBeLessThan(before?.channelExpiresAt ?? 0);

    const later = spec.start + 40 * DAY;
    const clock = new VirtualClock({ start: later });
    const sink = new MemorySink();
    const sim = Simulation.restore(spec, data, sink, { clock });
    clock.runUntil(later);
    const channel = sink.events.filter((e) => e.type.startsWith('channel.'));
    // In the order they fell due: the renewal (day 15) before the expiry (day 30), which the
    // renewal's new channel then cancels. In rank order the expiry would have come first.
    expect(channel[0]).toMatchObject({ time: later, type: 'channel.requested', reason: 'renewal' });
    expect(channel.some((e) => e.type === 'channel.expired')).toBe(false);
    expect(sim.device('laptop')?.snapshot().channelExpiresAt).toBe(later + 30 * DAY);
  });
});

/** Serve options with a state file (the e2e fleet on a virtual clock). */
function withState(file: string, more: Partial<ServeOptions> = {}): ServeOptions {
  return { ...TEST_SERVE, memory: false, state: file, ...more };
}

/** `GET /_sim/journal`: the emulator's journal, oldest first. */
type Journal = { readonly seq: number; readonly op: string; readonly status: number }[];

describe('dmpush serve --state: stop and start again (virtual clock)', () => {
  let file: string;
  let a: Api;
  let wnsUrl: string;
  let before: DeviceJson[];
  let eventsBefore: unknown[];
  let journalBefore: Journal;
  let token: string;
  /** Each device's state and the MDM's records as the running fleet had them when it stopped. */
  let live: { devices: Map<string, string>; mdm: Map<string, string> };
  /** The same, as the state file had them after the stop. */
  let stored: { devices: Map<string, string>; mdm: Map<string, string> };

  beforeAll(async () => {
    file = join(tempDir(), 'state.db');
    a = api(await startServe(io, withState(file)));
    wnsUrl = a.s.wnsUrl;
    // Past day 14: the tablet went offline (a scenario action) and its renewal was skipped.
    await a.advance('P14DT2H');
    // A push WNS caches for the offline tablet, with a TTL that outlives the restart.
    const push = await a.json('POST', '/api/devices/tablet/push', {
      cachePolicy: 'cache',
      ttlSeconds: 3 * 86_400,
    });
    expect(push.status).toBe(200);
    // A sender's token, issued before the restart.
    const app = readFileSync(fixture('fixtures/apps/demo.yaml'), 'utf8');
    const [, sid] = /sid: (\S+)/.exec(app) as unknown as [string, string];
    const [, secret] = /secret: (\S+)/.exec(app) as unknown as [string, string];
    const res = await fresh(`${wnsUrl}/accesstoken.srf`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sid,
        client_secret: secret,
        scope: 'notify.windows.com',
      }).toString(),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
    before = (await a.json<DeviceJson[]>('GET', '/api/devices')).body;
    eventsBefore = await a.events();
    journalBefore = (await (await fresh(`${wnsUrl}/_sim/journal`)).json()) as Journal;
    const sim = a.s.simulation;
    live = {
      devices: new Map(sim.deviceIds().map((id) => [id, JSON.stringify(sim.saveDevice(id))])),
      mdm: new Map(
        (a.s.reference?.mdm.devices() ?? []).map((r) => [r.deviceId, JSON.stringify(r)]),
      ),
    };
    await a.s.close();
    const db = new Database(file, { readonly: true });
    const rows = (kind: string): Map<string, string> =>
      new Map(
        (
          db.prepare('SELECT id, value FROM rows WHERE kind = ?').all(kind) as {
            id: string;
            value: string;
          }[]
        ).map((r) => [r.id, r.value]),
      );
    stored = { devices: rows('device'), mdm: rows('mdm') };
    db.close();
    a = api(await startServe(io, withState(file)));
  });
  afterAll(() => a.s.close());

  it('comes back from the file: same devices, channels and next renewal times, same addresses', async () => {
    const s: RunningServe = a.s;
    expect(s.restored).toBe(true);
    expect(s.wnsUrl).toBe(wnsUrl);
    const after = (await a.json<DeviceJson[]>('GET', '/api/devices')).body;
    const keep = (d: DeviceJson): unknown => ({
      id: d.id,
      channelUri: d.channelUri,
      channelExpiresAt: d.channelExpiresAt,
      nextRenewalAt: d.nextRenewalAt,
      pushStatus: d.pushStatus,
      network: d.network,
    });
    expect(after.map(keep)).toEqual(before.map(keep));
    expect(before.every((d) => d.channelUri !== null && d.nextRenewalAt !== null)).toBe(true);
  });

  it('saved every change: the file matches the live state (only changed rows are written)', () => {
    expect(stored.devices).toEqual(live.devices);
    expect(stored.mdm).toEqual(live.mdm);
    expect(live.mdm.size).toBe(2);
  });

  it('keeps the timeline and the WNS journal', async () => {
    const events = await a.events();
    expect(events.slice(0, eventsBefore.length)).toEqual(eventsBefore);
    const journal = (await (await fresh(`${wnsUrl}/_sim/journal`)).json()) as Journal;
    expect(journal.slice(0, journalBefore.length)).toEqual(journalBefore);
    expect(journalBefore.some((e) => e.op === 'notify')).toBe(true);
  });

  it('accepts a token issued before the restart', async () => {
    const laptop = before.find((d) => d.id === 'laptop') as DeviceJson;
    const res = await fresh(laptop.channelUri as string, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'x-wns-type': 'wns/raw',
      },
      body: 'ping',
    });
    expect(res.status).toBe(200);
  });

  it('delivers the cached push when the tablet comes back, and renews on the saved schedule', async () => {
    const tablet = before.find((d) => d.id === 'tablet') as DeviceJson;
    const patch = await a.json('PATCH', '/api/devices/tablet', {
      network: { connected: true, internet: true },
    });
    expect(patch.status).toBe(200);
    await a.advance('PT1M');
    const received = await a.events('?device=tablet&type=push.received');
    expect(received.at(-1)).toMatchObject({ cached: true });
    // The laptop's renewal, saved before the restart, happens at its saved instant.
    const laptop = before.find((d) => d.id === 'laptop') as DeviceJson;
    await a.advance('P2D');
    const requests = await a.events('?device=laptop&type=channel.requested');
    expect(requests.map((e) => e.time)).toContain(laptop.nextRenewalAt);
    expect(tablet.channelUri).not.toBeNull();
  });
});

describe('dmpush serve --state: a reset, and a fleet past its scenario end', () => {
  it('a WNS reset empties the saved journal too; a fleet run past its duration comes back', async () => {
    const file = join(tempDir(), 'state.db');
    let a = api(await startServe(io, withState(file)));
    await a.advance('PT1H');
    expect((await a.json('POST', '/api/devices/laptop/push', {})).status).toBe(200);
    const journal = async (): Promise<Journal> =>
      (await (await fresh(`${a.s.wnsUrl}/_sim/journal`)).json()) as Journal;
    expect((await journal()).length).toBeGreaterThan(0);
    expect((await fresh(`${a.s.wnsUrl}/_sim/reset`, { method: 'POST' })).status).toBe(204);
    expect(await journal()).toEqual([]);
    // The e2e scenario lasts 60 days; the live fleet goes on past it.
    await a.advance('P61D');
    const before = await a.device('laptop');
    await a.s.close();
    a = api(await startServe(io, withState(file)));
    try {
      expect(a.s.restored).toBe(true);
      expect((await journal()).every((e) => e.op !== 'token' || e.seq > 0)).toBe(true);
      const after = await a.device('laptop');
      expect(after.channelUri).toBe(before.channelUri);
      expect(after.nextRenewalAt).toBe(before.nextRenewalAt);
    } finally {
      await a.s.close();
    }
    const db = new Database(file, { readonly: true });
    const firstSeq = db.prepare('SELECT min(seq) AS s FROM journal').get() as { s: number | null };
    db.close();
    // Nothing of before the reset came back: the stored journal starts after it.
    expect(firstSeq.s === null || firstSeq.s > 1).toBe(true);
  }, 60_000);
});

describe('dmpush serve --state: refusals name what is wrong', () => {
  it('another fleet in the file, a damaged row, a saved port taken, --memory with --state', async () => {
    const file = join(tempDir(), 'state.db');
    const s = await startServe(io, withState(file));
    await s.close();
    await expect(startServe(io, withState(file, { seed: 6 }))).rejects.toThrow(
      /holds a fleet made differently: seed 5 \(now 6\)\. Start with the same options/,
    );
    const db = new Database(file);
    db.prepare(
      'UPDATE rows SET value = \'{"id":"tablet","power":7}\' WHERE kind = \'device\' AND id = \'tablet\'',
    ).run();
    db.close();
    await expect(startServe(io, withState(file))).rejects.toThrow(
      /state\.db holds a fleet this dmpush cannot take back:\n {2}snapshot\.devices\[1\] \(device tablet\)\.power: expected an object, got 7/,
    );
    // Port 0 takes the saved port again; when it is taken, the error says where it came from.
    const other = join(tempDir(), 'state.db');
    const first = await startServe(io, withState(other));
    const wnsPort = new URL(first.wnsUrl).port;
    await first.close();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(Number(wnsPort), '127.0.0.1', resolve));
    try {
      await expect(startServe(io, withState(other))).rejects.toThrow(
        new RegExp(
          `cannot listen on 127\\.0\\.0\\.1:${wnsPort}: EADDRINUSE \\(the port saved in .*state\\.db: free it, or give another with --wns-port\\)`,
        ),
      );
    } finally {
      squatter.close();
    }
    const { code, err } = await cli(['serve', '--memory', '--state', file]);
    expect(code).toBe(2);
    expect(err).toMatch(/--memory keeps no state: leave out --state, or --memory/);
  });
});

/** The built CLI's `serve` on a state file: two devices of the built-in fleet, both online. */
async function provisionedFleet(file: string) {
  const args = ['serve', '--devices', '2', '--port', '0', '--state', file, '--log-level', 'silent'];
  const banner = /control API: +(\S+)\/api\/devices[^\n]*\n {2}WNS emulator: (\S+)/;
  const process = await startProcess(args, banner);
  const [, control, wns] = process.match as unknown as [string, string, string];
  // Both devices hold a channel and have had their provisioning session.
  await process.waitFor(/(OMA-DM session completed \(provisioned\)[\s\S]*){2}/);
  return { args, process, control, wns };
}

/** Waits for the banner of a serve that restored its fleet. */
const RESTORED = /state: +\S+ +\(restored: \d+ events\)/;

describe('dmpush serve killed with SIGKILL and started again (system clock, built CLI)', () => {
  it('loses nothing acknowledged: channels, next renewals, a PATCH, the timeline, the journal', async () => {
    const file = join(tempDir(), 'state.db');
    const { args, process: first, control, wns } = await provisionedFleet(file);
    const devices = async (): Promise<DeviceJson[]> =>
      (await (await fresh(`${control}/api/devices`)).json()) as DeviceJson[];
    const before = await devices();
    expect(before.every((d) => d.channelUri !== null)).toBe(true);
    const events = await allEvents<unknown>(control);
    const journal = (await (await fresh(`${wns}/_sim/journal`)).json()) as Journal;
    // Acknowledged, then killed at once.
    const patched = await fresh(`${control}/api/devices/pc-2`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ battery: { level: 42, charging: true } }),
    });
    expect(patched.status).toBe(200);
    await first.kill();

    const second = await startProcess(args, RESTORED);
    try {
      const after = await devices();
      expect(second.output()).toContain(`control API:  ${control}/api/devices`);
      const keep = (d: DeviceJson): unknown => [
        d.id,
        d.channelUri,
        d.channelExpiresAt,
        d.nextRenewalAt,
      ];
      expect(after.map(keep)).toEqual(before.map(keep));
      const pc2 = after.find((d) => d.id === 'pc-2') as DeviceJson;
      expect(pc2.battery).toMatchObject({ charging: true });
      expect(pc2.battery.level).toBeGreaterThanOrEqual(42);
      const eventsAfter = await allEvents<unknown>(control);
      expect(eventsAfter.slice(0, events.length)).toEqual(events);
      expect(eventsAfter).toContainEqual(
        expect.objectContaining({ device: 'pc-2', type: 'power.changed', level: 42 }),
      );
      const journalAfter = (await (await fresh(`${wns}/_sim/journal`)).json()) as Journal;
      expect(journalAfter.slice(0, journal.length)).toEqual(journal);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 60_000);

  it('killed during a session: the saved device still has its next poll, and the session fails on restart', async () => {
    // A management server that takes every request and never answers.
    const hung: ServerResponse[] = [];
    const server = createServer((_req, res) => void hung.push(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const file = join(tempDir(), 'state.db');
    const args = ['serve', '--devices', '1', '--port', '0', '--state', file, '--mdm-url', url];
    try {
      const first = await startProcess(args, /control API: +(\S+)\/api\/devices/);
      await first.waitFor(/OMA-DM session starts \(poll\)/);
      // An answer of the control API: what it shows is saved.
      const control = (first.match as unknown as [string, string])[1];
      const shown = (await (await fresh(`${control}/api/devices/pc-1`)).json()) as {
        sessionRunning: boolean;
      };
      expect(shown.sessionRunning).toBe(true);
      await first.kill();
      const db = new Database(file, { readonly: true });
      const row = db
        .prepare("SELECT value FROM rows WHERE kind = 'device' AND id = 'pc-1'")
        .get() as {
        value: string;
      };
      db.close();
      const state = JSON.parse(row.value) as {
        sessionRunning: string | null;
        timers: { poll: { at: number } | null };
      };
      expect(state.sessionRunning).toBe('poll');
      expect(state.timers.poll).not.toBeNull();
      const second = await startProcess(args, /OMA-DM session failed \(poll\): restart/);
      expect(await second.stop()).toBe(0);
    } finally {
      for (const res of hung) res.destroy();
      server.close();
    }
  }, 60_000);

  it('runs timers that came due while it was stopped at once, in the order they fell due', async () => {
    const file = join(tempDir(), 'state.db');
    const { args, process: first, control } = await provisionedFleet(file);
    const clock = (await (await fresh(`${control}/api/clock`)).json()) as { now: string };
    await first.kill();
    // Downtime across both devices' renewals, without waiting for it: the saved renewal instants
    // move into the past, the device whose timer ranks later falling due first.
    const db = new Database(file);
    const renewal = (id: string): { at: number; seq: number } =>
      (
        JSON.parse(
          (
            db.prepare("SELECT value FROM rows WHERE kind = 'device' AND id = ?").get(id) as {
              value: string;
            }
          ).value,
        ) as { timers: { renewal: { at: number; seq: number } } }
      ).timers.renewal;
    const [earlier, later] = ['pc-1', 'pc-2'].sort((a, b) => renewal(b).seq - renewal(a).seq) as [
      string,
      string,
    ];
    const now = Date.parse(clock.now);
    const move = db.prepare(
      "UPDATE rows SET value = json_set(value, '$.timers.renewal.at', ?) WHERE kind = 'device' AND id = ?",
    );
    move.run(now - 2 * 3_600_000, earlier);
    move.run(now - 3_600_000, later);
    db.close();

    const second = await startProcess(args, RESTORED);
    try {
      const renewals = await second.waitFor(
        /(pc-\d) +channel\.requested +asks WNS for a ChannelURI \(renewal\)[\s\S]*?(pc-\d) +channel\.requested +asks WNS for a ChannelURI \(renewal\)/,
      );
      expect([renewals[1], renewals[2]]).toEqual([earlier, later]);
      // Each then holds a new channel (the 15-day mark is long past: within-fifteen-days rule).
      await second.waitFor(/(channel\.issued[\s\S]*?){2}/);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 60_000);
});
