import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_SENSE } from '../../src/core/device/data-sense.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import { DAY, HOUR, SECOND } from '../../src/core/time/iso.js';
import type { TimelineEvent, TimelineEventOf } from '../../src/core/timeline/events.js';
import { listDemos } from '../../src/demos.js';
import { runScenarioFile, type ScenarioRun } from '../helpers/run-scenario.js';

/** The built-in demos, each run through the library: loadScenario + Simulation + MemorySink. */
const demos = listDemos();

function runDemo(name: string): ScenarioRun {
  const demo = demos.find((d) => d.name === name);
  if (!demo) throw new Error(`no demo named ${name}`);
  return runScenarioFile(demo.path);
}

const cache = new Map<string, ScenarioRun>();
/** One run per demo, shared by the tests of that demo (runs are deterministic). */
function demo(name: string): ScenarioRun {
  let run = cache.get(name);
  if (!run) cache.set(name, (run = runDemo(name)));
  return run;
}

/** The instant of the scenario's i-th event (`events[i].at`, resolved against `start`). */
function actionAt(run: ScenarioRun, i: number): number {
  const action = run.spec.actions[i];
  if (!action) throw new Error(`scenario has no events[${i}]`);
  return action.at;
}

function only<T>(items: readonly T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
}

function first<T>(items: readonly T[], what: string): T {
  expect(items.length, what).toBeGreaterThan(0);
  return items[0] as T;
}

const within = <E extends TimelineEvent>(events: readonly E[], from: number, to: number): E[] =>
  events.filter((e) => e.time >= from && e.time < to);

/** A windowed decision taken at the event's time: exactly [time + lo, time + hi], `at` inside. */
function expectWindow(e: TimelineEventOf<'renewal.scheduled'>, lo: number, hi: number): void {
  expect(e.earliest - e.time).toBe(lo);
  expect(e.latest - e.time).toBe(hi);
  expect(e.at).toBeGreaterThanOrEqual(e.earliest);
  expect(e.at).toBeLessThanOrEqual(e.latest);
}

/** Every renewal attempt (`channel.requested` renewal) happens at the `at` of the decision before it. */
function expectAttemptsFollowSchedule(run: ScenarioRun): void {
  const scheduled = run.of('renewal.scheduled', 'laptop');
  const dueTimes = new Set(scheduled.map((s) => s.at));
  const attempts = run.of('channel.requested', 'laptop').filter((e) => e.reason === 'renewal');
  const skips = run.of('renewal.skipped', 'laptop');
  for (const e of [...attempts, ...skips]) expect(dueTimes.has(e.time)).toBe(true);
}

/** The types of the laptop's events at `time`, in order, poll sessions left out. */
function typesAt(run: ScenarioRun, time: number): string[] {
  return run
    .at(time)
    .filter((e) => !('trigger' in e && e.trigger === 'poll'))
    .map((e) => e.type);
}

const WITHIN: [number, number] = [3 * HOUR, 5 * HOUR];
const EXPIRED: [number, number] = [20 * HOUR, 28 * HOUR];

describe('the built-in demos', () => {
  it('are the ten edge cases, each with a one-line story', () => {
    expect(demos.map((d) => d.name)).toEqual([
      'renewal-day-15',
      'offline-across-expiry-1511',
      'no-network-1607',
      'captive-portal-1607',
      'battery-saver',
      'data-sense-cap',
      'exactly-fifteen-days-left',
      'pfn-blocked',
      'stale-channel-uri',
      'lid-closed-priority',
      'channel-revocation',
      'debloated-push-service',
    ]);
    for (const d of demos) {
      expect(d.story.length, d.name).toBeGreaterThan(20);
      expect(d.story, d.name).not.toContain('\n');
    }
  });

  describe.each(demos.map((d) => d.name))('%s', (name) => {
    it('is deterministic: two runs give byte-identical JSONL', () => {
      const a = runDemo(name).jsonl();
      const b = runDemo(name).jsonl();
      expect(a.length).toBeGreaterThan(0);
      expect(a).toBe(b);
    });

    it('emits its events in time order', () => {
      const times = demo(name).events.map((e) => e.time);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    });
  });
});

describe('demo renewal-day-15', () => {
  const run = demo('renewal-day-15');
  const start = run.spec.start;
  const mark = start + 15 * DAY;

  it('gets a 30-day channel at start and schedules renewal at exactly start + 15 days', () => {
    const requested = first(run.of('channel.requested', 'laptop'), 'channel.requested');
    expect(requested).toMatchObject({ time: start, reason: 'provisioned' });
    const issued = first(run.of('channel.issued', 'laptop'), 'channel.issued');
    expect(issued.time).toBe(start);
    expect(issued.expiresAt).toBe(start + 30 * DAY);
    const plan = first(run.of('renewal.scheduled', 'laptop'), 'renewal.scheduled');
    expect(plan).toMatchObject({
      time: start,
      os: '1607',
      rule: 'fifteen-day-mark',
      at: mark,
      earliest: mark,
      latest: mark,
    });
  });

  it('renews at that instant: new channel valid 30 days, then a renewal session', () => {
    expect(typesAt(run, mark)).toEqual([
      'channel.requested',
      'channel.issued',
      'renewal.scheduled',
      'session.started',
    ]);
    const [requested, issued, plan, session] = run.at(mark) as [
      TimelineEventOf<'channel.requested'>,
      TimelineEventOf<'channel.issued'>,
      TimelineEventOf<'renewal.scheduled'>,
      TimelineEventOf<'session.started'>,
    ];
    expect(requested.reason).toBe('renewal');
    expect(issued.expiresAt).toBe(mark + 30 * DAY);
    expect(issued.channelUri).not.toBe(run.of('channel.issued', 'laptop')[0]?.channelUri);
    expect(plan).toMatchObject({ rule: 'fifteen-day-mark', at: mark + 15 * DAY });
    expect(session.trigger).toBe('renewal');
  });

  it('never fails, skips or loses its connection', () => {
    expect(run.of('channel.request-failed')).toEqual([]);
    expect(run.of('renewal.skipped')).toEqual([]);
    expect(run.of('wns.disconnected')).toEqual([]);
    const rules = new Set(run.of('renewal.scheduled').map((e) => e.rule));
    expect([...rules]).toEqual(['fifteen-day-mark']);
  });
});

describe('demo offline-across-expiry-1511', () => {
  const run = demo('offline-across-expiry-1511');
  const start = run.spec.start;
  const offline = actionAt(run, 0);
  const back = actionAt(run, 1);
  const expiry = start + 30 * DAY;
  const mark = expiry - 15 * DAY;

  it('goes offline on day 10 and back on day 40', () => {
    expect(offline).toBe(start + 10 * DAY);
    expect(back).toBe(start + 40 * DAY);
    expect(run.of('channel.issued', 'laptop')[0]?.expiresAt).toBe(expiry);
    expect(run.of('wns.disconnected', 'laptop')).toEqual([
      expect.objectContaining({ time: offline, reason: 'no-network' }),
    ]);
  });

  it('attempts at the 15-day mark anyway (1511 does not check the network) and fails', () => {
    expect(typesAt(run, mark)).toEqual([
      'channel.requested',
      'channel.request-failed',
      'renewal.scheduled',
    ]);
    const failed = run.at(mark)[1] as TimelineEventOf<'channel.request-failed'>;
    expect(failed.reason).toBe('no-network');
  });

  it('retries 4 ± 1 h while the channel is valid, then 1 day ± 4 h after expiry', () => {
    const decisions = within(run.of('renewal.scheduled', 'laptop'), mark, back);
    const before = decisions.filter((e) => e.time < expiry);
    const after = decisions.filter((e) => e.time >= expiry);
    expect(before.length).toBeGreaterThan(50);
    expect(after.length).toBeGreaterThan(5);
    for (const e of before) {
      expect(e.rule).toBe('within-fifteen-days');
      expectWindow(e, ...WITHIN);
    }
    for (const e of after) {
      expect(e.rule).toBe('expired');
      expectWindow(e, ...EXPIRED);
    }
    // Every decision while offline follows a failed attempt at the same instant.
    const failures = new Set(run.of('channel.request-failed', 'laptop').map((e) => e.time));
    for (const e of decisions) expect(failures.has(e.time)).toBe(true);
    expectAttemptsFollowSchedule(run);
  });

  it('never skips an attempt (1511 has no network check)', () => {
    expect(run.of('renewal.skipped')).toEqual([]);
  });

  it('lets the channel expire on day 30 (Push/Status 5)', () => {
    expect(run.of('channel.expired', 'laptop').map((e) => e.time)).toEqual([expiry]);
    expect(run.at(expiry).map((e) => e.type)).toContain('push.status');
    const status = run.of('push.status', 'laptop').find((e) => e.time === expiry);
    expect(status?.status).toBe(PushStatus.ChannelUriExpired);
  });

  it('renews on the first attempt after day 40 and starts a renewal session', () => {
    const lastPlan = within(run.of('renewal.scheduled', 'laptop'), 0, back).at(-1);
    expect(lastPlan?.rule).toBe('expired');
    const attempt = first(
      run.of('channel.requested', 'laptop').filter((e) => e.time >= back),
      'attempt after day 40',
    );
    expect(attempt.reason).toBe('renewal');
    expect(attempt.time).toBe(lastPlan?.at);
    const issued = only(
      run.of('channel.issued', 'laptop').filter((e) => e.time >= back),
      'channel.issued after day 40',
    );
    expect(issued.time).toBe(attempt.time);
    expect(issued.expiresAt).toBe(attempt.time + 30 * DAY);
    expect(run.of('channel.request-failed').filter((e) => e.time >= back)).toEqual([]);
    expect(
      run.at(attempt.time).filter((e) => e.type === 'session.started' && e.trigger === 'renewal'),
    ).toHaveLength(1);
  });
});

describe('demo no-network-1607', () => {
  const run = demo('no-network-1607');
  const start = run.spec.start;
  const offline = actionAt(run, 0);
  const back = actionAt(run, 1);
  const expiry = start + 30 * DAY;
  const mark = expiry - 15 * DAY;

  it('skips the due attempt at the 15-day mark: no network, retry 4 ± 1 h', () => {
    expect(typesAt(run, mark)).toEqual(['renewal.skipped', 'renewal.scheduled']);
    const skipped = run.at(mark)[0] as TimelineEventOf<'renewal.skipped'>;
    expect(skipped.reason).toBe('no-network');
    const plan = run.at(mark)[1] as TimelineEventOf<'renewal.scheduled'>;
    expect(plan.rule).toBe('no-network');
    expectWindow(plan, ...WITHIN);
  });

  it('keeps skipping 4 ± 1 h apart while offline, even after the channel expired', () => {
    const skips = within(run.of('renewal.skipped', 'laptop'), offline, back);
    expect(skips.length).toBeGreaterThan(100);
    for (const s of skips) expect(s.reason).toBe('no-network');
    expect(skips.filter((s) => s.time > expiry).length).toBeGreaterThan(20);
    const decisions = within(run.of('renewal.scheduled', 'laptop'), offline, back);
    expect(decisions.map((d) => d.time)).toEqual(skips.map((s) => s.time));
    for (const d of decisions) {
      expect(d.rule).toBe('no-network');
      expectWindow(d, 3 * HOUR, 5 * HOUR);
    }
    expectAttemptsFollowSchedule(run);
  });

  it('never asks WNS for a channel while offline', () => {
    expect(within(run.of('channel.requested'), offline, back)).toEqual([]);
    expect(run.of('channel.request-failed')).toEqual([]);
  });

  it('renews at the first due time after the network is back, then a renewal session', () => {
    const lastPlan = within(run.of('renewal.scheduled', 'laptop'), 0, back).at(-1);
    const attempt = first(
      run.of('channel.requested', 'laptop').filter((e) => e.time >= back),
      'attempt after day 40',
    );
    expect(attempt).toMatchObject({ reason: 'renewal', time: lastPlan?.at });
    const issued = first(
      run.of('channel.issued', 'laptop').filter((e) => e.time >= back),
      'issued',
    );
    expect(issued.time).toBe(attempt.time);
    expect(issued.expiresAt).toBe(attempt.time + 30 * DAY);
    expect(
      run.at(attempt.time).some((e) => e.type === 'session.started' && e.trigger === 'renewal'),
    ).toBe(true);
  });
});

describe('demo captive-portal-1607', () => {
  const run = demo('captive-portal-1607');
  const start = run.spec.start;
  const portal = actionAt(run, 0);
  const back = actionAt(run, 1);
  const expiry = start + 30 * DAY;
  const mark = expiry - 15 * DAY;

  it('has network without internet from day 14: the WNS connection drops', () => {
    expect(portal).toBe(start + 14 * DAY);
    const change = first(run.of('network.changed', 'laptop'), 'network.changed');
    expect(change).toMatchObject({ time: portal, connected: true, internet: false });
    expect(run.of('wns.disconnected', 'laptop')[0]).toMatchObject({
      time: portal,
      reason: 'no-internet',
    });
  });

  it('attempts go ahead (network is up) and fail for lack of internet', () => {
    expect(run.of('renewal.skipped')).toEqual([]);
    const attempts = within(run.of('channel.requested', 'laptop'), mark, back);
    const failures = within(run.of('channel.request-failed', 'laptop'), mark, back);
    expect(attempts[0]).toMatchObject({ time: mark, reason: 'renewal' });
    expect(attempts.length).toBeGreaterThan(50);
    expect(failures.map((f) => f.time)).toEqual(attempts.map((a) => a.time));
    for (const f of failures) expect(f.reason).toBe('no-internet');
  });

  it('follows the expiry: 4 ± 1 h until day 30, then 1 day ± 4 h', () => {
    const decisions = within(run.of('renewal.scheduled', 'laptop'), mark, back);
    const before = decisions.filter((d) => d.time < expiry);
    const after = decisions.filter((d) => d.time >= expiry);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    for (const d of before) {
      expect(d.rule).toBe('within-fifteen-days');
      expectWindow(d, ...WITHIN);
    }
    for (const d of after) {
      expect(d.rule).toBe('expired');
      expectWindow(d, ...EXPIRED);
    }
    expectAttemptsFollowSchedule(run);
  });

  it('renews once the internet is back', () => {
    const issued = first(
      run.of('channel.issued', 'laptop').filter((e) => e.time >= back),
      'issued',
    );
    const lastPlan = within(run.of('renewal.scheduled', 'laptop'), 0, back).at(-1);
    expect(issued.time).toBe(lastPlan?.at);
    expect(issued.expiresAt).toBe(issued.time + 30 * DAY);
  });
});

describe('demo battery-saver', () => {
  const run = demo('battery-saver');
  const start = run.spec.start;
  const battery = run.spec.devices[0]!.battery;
  const saverAt = start + ((battery.level - battery.saverThreshold) / battery.drainPerHour) * HOUR;
  const [push1, push2, push3, plugged] = [0, 1, 2, 3].map((i) => actionAt(run, i)) as [
    number,
    number,
    number,
    number,
  ];
  const msg = (n: number): string => `laptop#${n}`;

  it('turns Battery Saver on at the threshold and cuts the WNS connection', () => {
    expect(run.of('battery-saver.changed', 'laptop')[0]).toMatchObject({
      time: saverAt,
      on: true,
      level: battery.saverThreshold,
    });
    expect(only(run.of('wns.disconnected', 'laptop'), 'wns.disconnected')).toMatchObject({
      time: saverAt,
      reason: 'battery-saver',
    });
    expect(saverAt).toBeLessThan(push1);
  });

  it('drops push #1 (no-cache) at once: the device is offline', () => {
    expect(run.of('push.sent').find((e) => e.msgId === msg(1))).toMatchObject({
      time: push1,
      cachePolicy: 'no-cache',
      status: 200,
    });
    expect(run.of('push.dropped').filter((e) => e.msgId === msg(1))).toEqual([
      expect.objectContaining({ time: push1, reason: 'offline' }),
    ]);
  });

  it('caches push #2 and drops it exactly when its 1 h TTL runs out', () => {
    const action = run.spec.actions[1]!.action;
    const ttl = action.kind === 'push' ? (action.ttlSeconds as number) : NaN;
    expect(ttl).toBe(3600);
    expect(run.of('push.cached').filter((e) => e.msgId === msg(2))).toEqual([
      expect.objectContaining({ time: push2, expiresAt: push2 + ttl * SECOND }),
    ]);
    expect(run.of('push.dropped').filter((e) => e.msgId === msg(2))).toEqual([
      expect.objectContaining({ time: push2 + HOUR, reason: 'ttl-expired' }),
    ]);
    expect(push2 + HOUR).toBeLessThan(plugged);
  });

  it('caches push #3 and delivers it from the cache when charging starts, then a push session', () => {
    expect(run.of('push.cached').filter((e) => e.msgId === msg(3))).toEqual([
      expect.objectContaining({ time: push3, expiresAt: push3 + 3 * DAY }),
    ]);
    expect(typesAt(run, plugged)).toEqual([
      'power.changed',
      'battery-saver.changed',
      'wns.connected',
      'push.received',
      'session.started',
    ]);
    const events = run.at(plugged);
    expect(events[1]).toMatchObject({ on: false });
    expect(events[3]).toMatchObject({ msgId: msg(3), cached: true });
    expect(events[4]).toMatchObject({ trigger: 'push' });
    expect(run.of('push.received').map((e) => e.msgId)).toEqual([msg(3)]);
  });

  it('holds no session while Battery Saver is on', () => {
    expect(within(run.of('session.started'), saverAt, plugged)).toEqual([]);
  });
});

describe('demo data-sense-cap', () => {
  const run = demo('data-sense-cap');
  const start = run.spec.start;
  const ds = run.spec.devices[0]!.dataSense;
  const limit = ds.limitMB as number;
  const reached = first(
    run.of('data-sense.changed', 'laptop').filter((e) => e.limitReached),
    'limit reached',
  );
  const s = new Date(start);
  const reset = Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, ds.resetDay);
  const pushAt = actionAt(run, 0);

  it('reaches the limit when background use plus sessions add up to it', () => {
    const sessions = run.of('session.started', 'laptop').filter((e) => e.time < reached.time);
    const used =
      ds.usedMB +
      (ds.backgroundMBPerHour * (reached.time - start)) / HOUR +
      sessions.length * DEFAULT_DATA_SENSE.perSessionMB;
    expect(used).toBeCloseTo(limit, 2);
    expect(reached.usedMB).toBe(limit);
    expect(run.of('wns.disconnected', 'laptop')).toEqual([
      expect.objectContaining({ time: reached.time, reason: 'data-sense' }),
    ]);
  });

  it('skips every poll during the cap (reason data-sense) and starts no session', () => {
    const skipped = within(run.of('session.skipped', 'laptop'), reached.time, reset);
    expect(skipped.length).toBeGreaterThanOrEqual(9);
    for (const e of skipped) expect(e).toMatchObject({ trigger: 'poll', reason: 'data-sense' });
    expect(within(run.of('session.started'), reached.time, reset)).toEqual([]);
  });

  const laterAt = actionAt(run, 1);

  it("caches both pushes sent during the cap, each until the cache's maximum age (3 days)", () => {
    expect(pushAt).toBeGreaterThan(reached.time);
    expect(laterAt).toBeLessThan(reset);
    expect(run.of('push.cached', 'laptop')).toEqual([
      expect.objectContaining({ time: pushAt, msgId: 'laptop#1', expiresAt: pushAt + 3 * DAY }),
      expect.objectContaining({ time: laterAt, msgId: 'laptop#2', expiresAt: laterAt + 3 * DAY }),
    ]);
  });

  it('drops the first push when it has waited 3 days (cache-expired), before the reset', () => {
    expect(pushAt + 3 * DAY).toBeLessThan(laterAt);
    expect(run.of('push.dropped', 'laptop')).toEqual([
      expect.objectContaining({
        time: pushAt + 3 * DAY,
        msgId: 'laptop#1',
        reason: 'cache-expired',
      }),
    ]);
    expect(run.of('push.received', 'laptop').map((e) => e.msgId)).toEqual(['laptop#2']);
  });

  it('resets on the cycle day at 00:00 UTC: connection back, cached push received, push session', () => {
    expect(new Date(reset).toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(typesAt(run, reset)).toEqual([
      'data-sense.changed',
      'wns.connected',
      'push.received',
      'session.started',
    ]);
    const events = run.at(reset);
    expect(events[0]).toMatchObject({ limitReached: false, usedMB: 0 });
    expect(laterAt + 3 * DAY).toBeGreaterThan(reset);
    expect(events[2]).toMatchObject({ msgId: 'laptop#2', cached: true });
    expect(events[3]).toMatchObject({ trigger: 'push' });
  });
});

describe('demo channel-revocation', () => {
  const run = demo('channel-revocation');
  const deleted = actionAt(run, 2);
  const pushWhileFailed = actionAt(run, 3);
  const reachable = actionAt(run, 4);
  const lastPush = actionAt(run, 5);
  const issued = first(run.of('channel.issued', 'laptop'), 'channel.issued');

  it('cannot revoke while WNS is unreachable: channel.revoke-failed and Push/Status 6', () => {
    expect(typesAt(run, deleted)).toEqual(['channel.revoke-failed', 'push.status']);
    expect(run.at(deleted)).toEqual([
      expect.objectContaining({ pfn: 'Contoso.MDM_8wekyb3d8bbwe', reason: 'wns-unreachable' }),
      expect.objectContaining({ status: PushStatus.ChannelUriRevokeFailed }),
    ]);
  });

  it('WNS still takes a push to the unrevoked URI (cached: the device is offline)', () => {
    expect(run.of('push.sent').find((e) => e.time === pushWhileFailed)).toMatchObject({
      channelUri: issued.channelUri,
      status: 200,
    });
    expect(run.of('push.cached').map((e) => e.time)).toEqual([pushWhileFailed]);
  });

  it('revokes at the first session request once WNS is reachable; Status 6 clears to 4', () => {
    const revoked = only(run.of('channel.revoked', 'laptop'), 'channel.revoked');
    const poll = first(
      run.of('session.started').filter((e) => e.time >= reachable),
      'a session after WNS is reachable',
    );
    expect(revoked.time).toBe(poll.time);
    expect(run.of('push.dropped')).toEqual([
      expect.objectContaining({ time: revoked.time, reason: 'channel-revoked' }),
    ]);
    const statuses = run.of('push.status', 'laptop').filter((e) => e.time >= deleted);
    expect(statuses.map((e) => e.status)).toEqual([
      PushStatus.ChannelUriRevokeFailed,
      PushStatus.NoChannelUri,
    ]);
  });

  it('answers a later push to the old URI 410 channel-revoked', () => {
    expect(run.of('push.rejected')).toEqual([
      expect.objectContaining({
        time: lastPush,
        channelUri: issued.channelUri,
        status: 410,
        reason: 'channel-revoked',
      }),
    ]);
  });
});

describe('demo exactly-fifteen-days-left', () => {
  const run = demo('exactly-fifteen-days-left');
  const start = run.spec.start;
  const expiry = start + 30 * DAY;
  const mark = expiry - 15 * DAY;
  const down = actionAt(run, 0);
  const up = actionAt(run, 1);

  it('loses the internet around the mark', () => {
    expect(down).toBeLessThan(mark);
    expect(up).toBeGreaterThan(mark);
    expect(up).toBeLessThan(mark + 3 * HOUR);
  });

  it('fails the attempt at exactly expiry − 15 days, then applies within-fifteen-days', () => {
    expect(typesAt(run, mark)).toEqual([
      'channel.requested',
      'channel.request-failed',
      'renewal.scheduled',
    ]);
    const [requested, failed, plan] = run.at(mark) as [
      TimelineEventOf<'channel.requested'>,
      TimelineEventOf<'channel.request-failed'>,
      TimelineEventOf<'renewal.scheduled'>,
    ];
    expect(requested.reason).toBe('renewal');
    expect(failed.reason).toBe('no-internet');
    expect(plan.rule).toBe('within-fifteen-days');
    expect(plan.rule).not.toBe('fifteen-day-mark');
    expectWindow(plan, ...WITHIN);
  });

  it('renews at the retry and starts a renewal session', () => {
    const plan = run.at(mark)[2] as TimelineEventOf<'renewal.scheduled'>;
    const issued = run.of('channel.issued', 'laptop');
    expect(issued).toHaveLength(2);
    expect(issued[1]).toMatchObject({ time: plan.at, expiresAt: plan.at + 30 * DAY });
    expect(
      run.at(plan.at).some((e) => e.type === 'session.started' && e.trigger === 'renewal'),
    ).toBe(true);
  });
});

describe('demo pfn-blocked', () => {
  const run = demo('pfn-blocked');
  const start = run.spec.start;
  const before = actionAt(run, 0);
  const blocked = actionAt(run, 1);
  const after = actionAt(run, 2);
  const mark = start + 15 * DAY;

  it('delivers a push before the block', () => {
    expect(run.of('push.received', 'laptop')).toEqual([
      expect.objectContaining({ time: before, cached: false }),
    ]);
    expect(run.at(before).some((e) => e.type === 'session.started' && e.trigger === 'push')).toBe(
      true,
    );
  });

  it('answers 410 to a push after WNS blocks the PFN', () => {
    expect(only(run.of('wns.pfn-blocked'), 'wns.pfn-blocked')).toMatchObject({
      time: blocked,
      device: null,
      pfn: 'Contoso.MDM_8wekyb3d8bbwe',
    });
    expect(only(run.of('push.rejected'), 'push.rejected')).toMatchObject({
      time: after,
      device: 'laptop',
      status: 410,
      reason: 'pfn-blocked',
    });
    expect(run.of('push.sent').filter((e) => e.time >= blocked)).toEqual([]);
  });

  it('fails the day-15 renewal (pfn-blocked) and turns Push/Status to 3', () => {
    expect(typesAt(run, mark)).toEqual([
      'channel.requested',
      'channel.request-failed',
      'push.status',
      'renewal.scheduled',
    ]);
    const events = run.at(mark);
    expect(events[1]).toMatchObject({ reason: 'pfn-blocked' });
    expect(events[2]).toMatchObject({ status: PushStatus.WnsRegistrationFailed });
    expect(PushStatus.WnsRegistrationFailed).toBe(3);
    for (const f of run.of('channel.request-failed')) expect(f.reason).toBe('pfn-blocked');
  });

  it('keeps polling the device', () => {
    const polls = run
      .of('session.started', 'laptop')
      .filter((e) => e.trigger === 'poll' && e.time > mark);
    expect(polls.length).toBeGreaterThan(0);
  });
});

describe('demo stale-channel-uri', () => {
  const run = demo('stale-channel-uri');
  const start = run.spec.start;
  const push1 = actionAt(run, 0);
  const push2 = actionAt(run, 1);
  const issued = run.of('channel.issued', 'laptop');
  const firstUri = issued[0]?.channelUri;
  const expiry = start + 30 * DAY;

  it('renews on day 15, but the server keeps the first ChannelURI', () => {
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(issued[0]?.expiresAt).toBe(expiry);
    expect(issued[1]?.time).toBe(start + 15 * DAY);
    expect(issued[1]?.channelUri).not.toBe(firstUri);
  });

  it('still reaches the device on day 20 through the first, still valid channel', () => {
    expect(push1).toBeLessThan(expiry);
    expect(run.of('push.sent').filter((e) => e.time === push1)).toEqual([
      expect.objectContaining({ channelUri: firstUri, status: 200 }),
    ]);
    expect(run.of('push.received').filter((e) => e.time === push1)).toHaveLength(1);
  });

  it('gets 410 channel-expired on day 31', () => {
    expect(push2).toBe(start + 31 * DAY);
    expect(push2).toBeGreaterThan(expiry);
    expect(only(run.of('push.rejected'), 'push.rejected')).toMatchObject({
      time: push2,
      channelUri: firstUri,
      status: 410,
      reason: 'channel-expired',
    });
    // The device itself holds a valid channel all along.
    const current = issued.filter((e) => e.time <= push2).at(-1);
    expect(current?.expiresAt).toBeGreaterThan(push2);
  });
});

describe('demo lid-closed-priority', () => {
  const run = demo('lid-closed-priority');
  const at = (i: number): number => actionAt(run, i);

  it('keeps the WNS connection up with the lid closed on battery', () => {
    expect(run.of('screen.changed', 'laptop')).toEqual([
      { time: at(0), device: 'laptop', type: 'screen.changed', screen: 'off' },
    ]);
    expect(run.of('wns.disconnected', 'laptop')).toEqual([]);
  });

  it('holds the Low push (no X-WNS-PRIORITY) until the laptop is plugged in', () => {
    const sent = run.of('push.sent', 'laptop');
    const low = first(sent, 'pushes sent');
    expect(only(run.of('push.held', 'laptop'), 'held pushes')).toMatchObject({
      time: at(1),
      msgId: low.msgId,
      priority: 3,
      reason: 'screen-off-on-battery',
    });
    expect(run.of('push.received', 'laptop').find((e) => e.msgId === low.msgId)).toMatchObject({
      time: at(3),
      priority: 3,
      heldAt: at(1),
    });
  });

  it('delivers the High push at once, and each delivery starts a session', () => {
    const high = run.of('push.received', 'laptop').find((e) => e.priority === 1);
    expect(high).toMatchObject({ time: at(2) });
    expect(high?.heldAt).toBeUndefined();
    const pushSessions = run.of('session.completed', 'laptop').filter((e) => e.trigger === 'push');
    expect(pushSessions.map((e) => e.time)).toEqual([at(2) + 3 * SECOND, at(3) + 3 * SECOND]);
  });
});

describe('debloated-push-service', () => {
  const run = demo('debloated-push-service');
  const start = run.spec.start;
  const [push1, push2, enable, push3] = [0, 1, 2, 3].map((i) => actionAt(run, i));

  it('is a Windows 11 24H2 device', () => {
    expect(only(run.of('device.started'), 'device.started').os).toBe('11-24H2');
  });

  it('receives every push (WNS 200, connection up) but starts no session while disabled', () => {
    expect(run.of('wns.disconnected')).toEqual([]);
    expect(run.of('push.sent').map((e) => [e.time, e.status])).toEqual([
      [push1, 200],
      [push2, 200],
      [push3, 200],
    ]);
    expect(run.of('push.received').map((e) => e.time)).toEqual([push1, push2, push3]);
    expect(run.of('session.skipped').map((e) => [e.time, e.trigger, e.reason])).toEqual([
      [push1, 'push', 'push-service-disabled'],
      [push2, 'push', 'push-service-disabled'],
    ]);
  });

  it('syncs only by its 8-hourly polls until the service runs again; then a push starts a session', () => {
    const polls = run.of('session.started').filter((e) => e.trigger === 'poll');
    expect(polls[0]?.time).toBe(start + 8 * HOUR);
    expect(polls.every((e) => (e.time - start) % (8 * HOUR) === 0)).toBe(true);
    expect(only(run.of('push-service.changed'), 'push-service.changed')).toMatchObject({
      time: enable,
      state: 'running',
    });
    const pushSessions = run.of('session.started').filter((e) => e.trigger === 'push');
    expect(pushSessions.map((e) => e.time)).toEqual([push3]);
  });
});
