/**
 * Regression: after `POST /_sim/clock/advance` took the virtual clock to within a channel
 * lifetime of the last instant a `Date` holds (+275760-09-13), `POST /_sim/channels` and
 * `GET /_sim/channels` answered 500 for good (the channel's expiry could not be formatted). The
 * advance is now refused (400 naming `duration`), and the cloud never computes an expiry past
 * that instant.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { DAY, LAST_INSTANT } from '../../src/core/time/iso.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { WnsEmulator } from '../../src/wns/emulator.js';
import { APP, startHarness, type Harness } from '../helpers/wns-harness.js';

const LATEST = '+275760-08-14T00:00:00.000Z'; // the last instant less the 30-day channel lifetime

describe('the admin clock near the last instant a date can hold (year 275,760)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const advance = (duration: string) => h.admin('POST', '/_sim/clock/advance', { duration });
  const channels = async (): Promise<number[]> => [
    (await h.admin('POST', '/_sim/channels', { pfn: APP.pfn, deviceId: `inbox-${h.clock.now()}` }))
      .status,
    (await h.admin('GET', '/_sim/channels')).status,
  ];

  it('refuses an advance past the latest instant (400 naming duration); the channel routes still work', async () => {
    const before = h.clock.now();
    // From 2026-01-01 to 275760-09-01: inside what a Date holds, not a 30-day channel later.
    const r = await advance('P273734Y8M');
    expect(r.status).toBe(400);
    const error = (r.body as { error: string }).error;
    expect(error).toMatch(/^duration: "P273734Y8M" would move the clock past /);
    expect(error).toContain(LATEST);
    expect(error).toContain('+275760-09-13T00:00:00.000Z');
    expect(h.clock.now()).toBe(before);
    expect(await channels()).toEqual([201, 200]);
  });

  it('refuses a duration past any date (Luxon cannot add it) naming the limit, not "zero or more"', async () => {
    const r = await advance('P300000Y');
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toContain(`would move the clock past ${LATEST}`);
  });

  it('goes up to the latest instant exactly; channels issued then expire at the last one', async () => {
    const r = await advance('P273734Y7M13D');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ now: LATEST });
    const created = await h.admin('POST', '/_sim/channels', { pfn: APP.pfn, deviceId: 'late' });
    expect(created.status).toBe(201);
    expect((created.body as { expiresAt: string }).expiresAt).toBe('+275760-09-13T00:00:00.000Z');
    // A cached push with the longest TTL a sender may give.
    await h.admin('POST', '/_sim/devices/late/connection', { connected: false });
    const token = await h.token();
    const uri = (created.body as { channelUri: string }).channelUri;
    const pushed = await h.push(uri, token, {
      headers: { 'x-wns-cache-policy': 'cache', 'x-wns-ttl': '9999999999' },
    });
    expect(pushed.status).toBe(200);
    expect((await h.admin('GET', '/_sim/channels')).status).toBe(200);
    expect((await advance('PT1S')).status).toBe(400);
    expect((await advance('PT0S')).status).toBe(200);
    expect(await channels()).toEqual([201, 200]);
  });
});

describe('the cloud at the end of time', () => {
  it('a channel issued within its lifetime of the last instant expires at it', () => {
    const clock = new VirtualClock({ start: LAST_INSTANT - DAY });
    const emulator = new WnsEmulator({
      clock,
      seed: 1,
      sink: new MemorySink(),
      baseUrl: 'http://127.0.0.1:9/',
      apps: [APP],
    });
    const grant = emulator.createInboxChannel(APP.pfn, 'inbox', false);
    expect(grant).toMatchObject({ expiresAt: LAST_INSTANT });
  });
});
