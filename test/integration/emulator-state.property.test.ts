/**
 * The state port under random interleavings, for the WNS emulator (property): apps added, tokens
 * issued, inbox channels opened, pushes cached or delivered, connections switched, time passing
 * (cache TTLs), device credentials recorded, resets. The emulator keeps everything in a SQLite-backed store; after every
 * commit the file holds exactly the live state (devices with their channels, cache and inbox,
 * apps, tokens, credential hashes, the emulator's document, the journal), and an emulator restored from the file
 * (a process killed after that commit) holds the same apps, tokens, streams and channels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/state/sqlite-state-store.js';
import { StateFile } from '../../src/adapters/state/state-store.js';
import { timerSnapshots, TimerRestore } from '../../src/core/snapshot.js';
import { HOUR } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import type { JournalEntry } from '../../src/core/wns/journal.js';
import {
  WnsEmulator,
  type WnsEmulatorDevice,
  type WnsEmulatorGlobals,
} from '../../src/wns/emulator.js';
import { APP, T0 } from '../helpers/wns-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'dmpush-emulator-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEVICES = ['inbox-a', 'inbox-b', 'inbox-c'];

type Op =
  | { readonly kind: 'token' }
  | { readonly kind: 'app'; readonly n: number }
  | { readonly kind: 'channel'; readonly device: number; readonly connected: boolean }
  | { readonly kind: 'connect'; readonly device: number; readonly connected: boolean }
  | { readonly kind: 'revoke'; readonly device: number }
  | {
      readonly kind: 'push';
      readonly device: number;
      readonly cache: boolean;
      readonly ttl: number;
    }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'credential'; readonly device: number; readonly n: number }
  | { readonly kind: 'reset' };

const device = fc.nat(DEVICES.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'token' } as const) },
  { weight: 1, arbitrary: fc.nat(5).map((n) => ({ kind: 'app', n }) as const) },
  {
    weight: 3,
    arbitrary: fc
      .record({ device, connected: fc.boolean() })
      .map((o) => ({ kind: 'channel', ...o }) as const),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ device, connected: fc.boolean() })
      .map((o) => ({ kind: 'connect', ...o }) as const),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ device, cache: fc.boolean(), ttl: fc.integer({ min: 0, max: 7200 }) })
      .map((o) => ({ kind: 'push', ...o }) as const),
  },
  { weight: 1, arbitrary: device.map((d) => ({ kind: 'revoke', device: d }) as const) },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 0, max: 3 * HOUR })
      .map((ms) => ({ kind: 'advance', ms }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ device, n: fc.nat(255) })
      .map((o) => ({ kind: 'credential', ...o }) as const),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' } as const) },
);

/** A world: the emulator, its clock, its store, and what a sender holds (token, channels). */
function world(file: string): {
  clock: VirtualClock;
  store: SqliteStateStore;
  emulator: WnsEmulator;
  token: string | null;
  channels: Map<string, string>;
} {
  const clock = new VirtualClock({ start: T0 });
  const store = new SqliteStateStore(StateFile.open(file), { schedule: () => undefined });
  const emulator = new WnsEmulator({
    clock,
    seed: 7,
    sink: new MemorySink(),
    baseUrl: 'http://127.0.0.1:9/',
    apps: [APP],
    store,
  });
  return { clock, store, emulator, token: null, channels: new Map() };
}

function perform(w: ReturnType<typeof world>, op: Op): void {
  const { emulator } = w;
  switch (op.kind) {
    case 'token': {
      const answer = emulator.service.classicToken({
        grant_type: 'client_credentials',
        client_id: APP.sid,
        client_secret: APP.secret,
        scope: 'notify.windows.com',
      });
      if (answer.status === 200)
        w.token = (JSON.parse(answer.body) as { access_token: string }).access_token;
      return;
    }
    case 'app': {
      const pfn = `Extra${op.n}.App_8wekyb3d8bbwe`;
      if (!emulator.apps.has(pfn))
        emulator.apps.add({
          pfn,
          sid: `ms-app://S-1-15-2-${op.n}-1-2-3-4-5-6`,
          secret: `secret-${op.n}`,
        });
      return;
    }
    case 'revoke':
      // A revoked channel (and what it cached) must be in the file too.
      emulator.cloud.revokeChannels(DEVICES[op.device] as string, APP.pfn, () => undefined);
      return;
    case 'channel': {
      const id = DEVICES[op.device] as string;
      const grant = emulator.createInboxChannel(APP.pfn, id, op.connected);
      if ('channelUri' in grant) w.channels.set(id, grant.channelUri);
      return;
    }
    case 'connect':
      emulator.setInboxConnection(DEVICES[op.device] as string, op.connected);
      return;
    case 'push': {
      const channel = w.channels.get(DEVICES[op.device] as string);
      if (!channel || !w.token) return;
      emulator.service.notify({
        method: 'POST',
        channel,
        headers: {
          authorization: `Bearer ${w.token}`,
          'content-type': 'application/octet-stream',
          'x-wns-type': 'wns/raw',
          'x-wns-cache-policy': op.cache ? 'cache' : 'no-cache',
          ...(op.ttl > 0 ? { 'x-wns-ttl': String(op.ttl) } : {}),
        },
        bodyBase64: 'cHVzaA==',
        length: 4,
      });
      return;
    }
    case 'advance':
      w.clock.runUntil(w.clock.now() + op.ms);
      return;
    case 'credential':
      // What the device endpoint records on a first hello: a SHA-256, as hex.
      emulator.credentials.record(
        DEVICES[op.device] as string,
        op.n.toString(16).padStart(64, '0'),
        w.clock.now(),
      );
      return;
    case 'reset':
      emulator.reset();
      w.channels.clear();
      w.token = null;
      return;
  }
}

const rowsOf = (store: SqliteStateStore, kind: string): Map<string, string> =>
  new Map(store.read().rows.get(kind) ?? []);

/** The file holds exactly what the live emulator would save now. */
function expectFileEqualsLive(w: ReturnType<typeof world>): void {
  const { emulator, store, clock } = w;
  const timer = timerSnapshots(clock);
  const devices = rowsOf(store, 'wns');
  expect([...devices.keys()].sort()).toEqual(emulator.deviceIds().sort());
  for (const id of emulator.deviceIds())
    expect(devices.get(id), id).toBe(JSON.stringify(emulator.saveDevice(id, timer)));
  const { apps, tokens, credentials, ...doc } = emulator.saveGlobals();
  const savedCredentials = rowsOf(store, 'wns-credential');
  expect([...savedCredentials.keys()].sort()).toEqual(
    (credentials ?? []).map((c) => c.deviceId).sort(),
  );
  for (const { deviceId, ...record } of credentials ?? [])
    expect(savedCredentials.get(deviceId)).toBe(JSON.stringify(record));
  const savedApps = rowsOf(store, 'wns-app');
  expect([...savedApps.keys()].sort()).toEqual(apps.map((a) => a.pfn).sort());
  for (const app of apps) expect(savedApps.get(app.pfn)).toBe(JSON.stringify(app));
  const savedTokens = rowsOf(store, 'wns-token');
  expect([...savedTokens.keys()].sort()).toEqual(tokens.map((t) => t.token).sort());
  for (const t of tokens)
    expect(savedTokens.get(t.token)).toBe(JSON.stringify({ pfn: t.pfn, expiresAt: t.expiresAt }));
  const read = store.read();
  expect(read.meta.get('wns')).toBe(JSON.stringify(doc));
  expect(read.journal).toEqual(emulator.service.journalEntries().map((e) => JSON.stringify(e)));
}

/** An emulator restored from what the file holds (as `dmpush serve` reads it back). */
function restored(store: SqliteStateStore, now: number): WnsEmulator {
  const read = store.read();
  const doc = JSON.parse(read.meta.get('wns') as string) as Omit<
    WnsEmulatorGlobals,
    'apps' | 'tokens' | 'credentials'
  >;
  const globals: WnsEmulatorGlobals = {
    ...doc,
    apps: [...(read.rows.get('wns-app') ?? [])].map(([, t]) => JSON.parse(t) as never),
    tokens: [...(read.rows.get('wns-token') ?? [])].map(([token, t]) => ({
      token,
      ...(JSON.parse(t) as { pfn: string; expiresAt: number }),
    })),
    credentials: [...(read.rows.get('wns-credential') ?? [])].map(([deviceId, t]) => ({
      deviceId,
      ...(JSON.parse(t) as { hash: string; issuedAt: number }),
    })),
  };
  const clock = new VirtualClock({ start: now });
  const emulator = new WnsEmulator({
    clock,
    seed: 7,
    sink: new MemorySink(),
    baseUrl: 'http://127.0.0.1:9/',
    apps: [APP],
  });
  const timers = new TimerRestore();
  emulator.loadState(
    globals,
    [...(read.rows.get('wns') ?? [])].map(([, t]) => JSON.parse(t) as WnsEmulatorDevice),
    read.journal.map((t) => JSON.parse(t) as JournalEntry),
    timers.arm,
  );
  timers.replay(clock, 0);
  return emulator;
}

let runs = 0;
describe('the WNS emulator on the SQLite state store (property)', () => {
  it('holds the live state after every commit; a restore from the file holds the same', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 20 }), (ops) => {
        const w = world(join(dir, `state-${runs++}.db`));
        w.store.commit();
        for (const op of ops) {
          perform(w, op);
          w.store.commit();
          expectFileEqualsLive(w);
        }
        const back = restored(w.store, w.clock.now());
        const sort = (g: WnsEmulatorGlobals): unknown => ({
          ...g,
          apps: [...g.apps].sort((a, b) => a.pfn.localeCompare(b.pfn)),
          tokens: [...g.tokens].sort((a, b) => a.token.localeCompare(b.token)),
          credentials: [...(g.credentials ?? [])].sort((a, b) =>
            a.deviceId.localeCompare(b.deviceId),
          ),
        });
        expect(sort(back.saveGlobals())).toEqual(sort(w.emulator.saveGlobals()));
        expect(back.deviceIds().sort()).toEqual(w.emulator.deviceIds().sort());
        w.store.close();
      }),
      { numRuns: 40 },
    );
  });
});
