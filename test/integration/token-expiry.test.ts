/**
 * Access tokens are evicted at expiry (decision 0012), over real HTTP on a SQLite-backed
 * emulator: the expired token's row leaves the file, a sender still gets `Token expired` (not
 * `not valid`) for it, also after a restart from the file, which rebuilds the expiry index.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWnsHttpServer } from '../../src/adapters/http/wns-http-server.js';
import { SqliteStateStore } from '../../src/adapters/state/sqlite-state-store.js';
import { StateFile } from '../../src/adapters/state/state-store.js';
import { HOUR } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { WnsEmulator, type WnsEmulatorGlobals } from '../../src/wns/emulator.js';
import { APP, T0 } from '../helpers/wns-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'dmpush-token-expiry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  readonly url: string;
  readonly clock: VirtualClock;
  readonly store: SqliteStateStore;
  readonly emulator: WnsEmulator;
  close(): Promise<void>;
}

/** An emulator on `file` (a fresh one, or one restarted from what the file holds). */
async function start(file: string, now: number): Promise<Running> {
  const clock = new VirtualClock({ start: now });
  const store = new SqliteStateStore(StateFile.open(file), { schedule: () => undefined });
  const saved = store.read();
  const emulator = new WnsEmulator({
    clock,
    seed: 7,
    sink: new MemorySink(),
    baseUrl: 'http://127.0.0.1:9/',
    apps: [APP],
    store,
  });
  const doc = saved.meta.get('wns');
  if (doc !== undefined) {
    const globals: WnsEmulatorGlobals = {
      ...(JSON.parse(doc) as Omit<WnsEmulatorGlobals, 'apps' | 'tokens'>),
      apps: [],
      tokens: [...(saved.rows.get('wns-token') ?? [])].map(([token, t]) => ({
        token,
        ...(JSON.parse(t) as { pfn: string; expiresAt: number }),
      })),
    };
    emulator.loadState(globals, [], [], () => undefined);
  }
  const http = createWnsHttpServer(emulator, { beforeReply: () => store.commit() });
  const { url } = await http.listen(0);
  emulator.setBaseUrl(`${url}/`);
  const channel = emulator.createInboxChannel(APP.pfn, 'inbox', true);
  if ('error' in channel) throw new Error(channel.error);
  store.commit();
  return {
    url,
    clock,
    store,
    emulator,
    close: async () => {
      await http.close();
      store.close();
    },
  };
}

async function token(r: Running): Promise<string> {
  const res = await fetch(`${r.url}/accesstoken.srf`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: APP.sid,
      client_secret: APP.secret,
      scope: 'notify.windows.com',
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A raw push with `bearer`: the status and the `WWW-Authenticate` challenge. */
async function push(r: Running, bearer: string): Promise<[number, string | null]> {
  const uri = r.emulator.cloud.listChannels()[0]?.uri as string;
  const res = await fetch(uri, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'x-wns-type': 'wns/raw',
      'content-type': 'application/octet-stream',
    },
    body: 'push',
  });
  await res.arrayBuffer();
  return [res.status, res.headers.get('www-authenticate')];
}

const rows = (r: Running): string[] =>
  [...(r.store.read().rows.get('wns-token') ?? [])].map(([t]) => t);
const EXPIRED = 'Bearer error="invalid_token", error_description="Token expired"';
const INVALID = 'Bearer error="invalid_token", error_description="the access token is not valid"';

describe('access tokens evicted at expiry, over HTTP with durable state', () => {
  it('deletes the expired row, still answers "Token expired", and after a restart too', async () => {
    const file = join(dir, 'state.db');
    const a = await start(file, T0);
    const first = await token(a);
    expect(await push(a, first)).toEqual([200, null]);
    a.clock.runUntil(T0 + 25 * HOUR);
    const second = await token(a);
    // The first token's row is gone from the file; the second is there.
    expect(rows(a)).toEqual([second]);
    expect(a.emulator.tokens.size).toBe(1);
    expect(await push(a, first)).toEqual([401, EXPIRED]);
    expect(await push(a, 'EgAnot-a-real-token=')).toEqual([401, INVALID]);
    expect(await push(a, second)).toEqual([200, null]);
    const stopped = a.clock.now();
    await a.close();

    const b = await start(file, stopped);
    try {
      expect(await push(b, second)).toEqual([200, null]);
      expect(await push(b, first)).toEqual([401, EXPIRED]);
      // The rebuilt index evicts the second token at its expiry: its row leaves the file.
      b.clock.runUntil(T0 + 49 * HOUR);
      const third = await token(b);
      expect(rows(b)).toEqual([third]);
      expect(await push(b, second)).toEqual([401, EXPIRED]);
    } finally {
      await b.close();
    }
  });
});
