import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemClock } from '../../src/adapters/clock/system-clock.js';
import { Simulation } from '../../src/core/simulation.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/core/time/iso.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenarioText } from '../helpers/run-scenario.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
/** A device that keeps its battery and polls once a day, so timelines stay short. */
const laptop = (extra = ''): string =>
  `{ id: d, os: "1607", pfn: ${PFN}, battery: { level: 90, charging: true }, poll: { first: { intervalMinutes: 1440, count: 0 } }${extra} }`;
const statuses = (run: ReturnType<typeof runScenarioText>): number[] =>
  run.of('push.status').map((e) => e.status);

describe('Push/Status', () => {
  // Push/Status 7 (a push whose session cannot start or fails): test/unit/device-power.test.ts.

  it('1 for a malformed PFN (no request reaches WNS), 3 for a PFN WNS does not know', () => {
    const malformed = runScenarioText(`devices: [{ id: d, pfn: not-a-pfn }]\nduration: P1D`);
    expect(malformed.of('channel.request-failed')[0]?.reason).toBe('invalid-pfn');
    expect(statuses(malformed)).toEqual([1]);
    const unknown = runScenarioText(
      `wns: { unknownPfns: [${PFN}] }\ndevices: [${laptop()}]\nduration: P1D`,
    );
    expect(unknown.of('channel.request-failed')[0]?.reason).toBe('invalid-pfn');
    expect(statuses(unknown)).toEqual([3]);
    // The provisioning session still runs, so the server can read the status.
    expect(unknown.of('session.started')[0]).toMatchObject({ trigger: 'provisioned', time: T0 });
    // No channel: retried as if expired, 1 day ± 4 h.
    expect(unknown.of('renewal.scheduled')[0]).toMatchObject({
      rule: 'expired',
      earliest: T0 + 20 * HOUR,
    });
  });

  it('5 once the channel expires unrenewed; 4 after the PFN is removed', () => {
    const run = runScenarioText(`
duration: P35D
devices: [${laptop()}]
events:
  - { at: P10D, device: d, set: { network: { internet: false } } }
  - { at: P33D, device: d, set: { pfn: null } }
`);
    expect(run.of('channel.expired')[0]?.time).toBe(T0 + 30 * DAY);
    expect(run.of('wns.disconnected').map((e) => e.reason)).toEqual(['no-internet']);
    expect(run.of('push.status').map((e) => [e.time, e.status])).toEqual([
      [T0, 0],
      [T0 + 30 * DAY, 5],
      [T0 + 33 * DAY, 4],
    ]);
  });

  it('a blocked PFN at start fails with pfn-blocked and Status 3', () => {
    const run = runScenarioText(
      `wns: { blockedPfns: [${PFN}] }\ndevices: [${laptop()}]\nduration: P1D`,
    );
    expect(run.of('channel.request-failed')[0]?.reason).toBe('pfn-blocked');
    expect(statuses(run)).toEqual([3]);
  });
});

describe('WNS reachability', () => {
  it('a WNS outage closes the connection (reason cloud) and renewals fail wns-unreachable until it ends', () => {
    const run = runScenarioText(`
duration: P17D
devices: [${laptop()}]
events:
  - { at: P14D, wns: { available: false } }
  - { at: P15DT6H, wns: { available: true } }
`);
    expect(run.of('wns.disconnected')).toMatchObject([{ reason: 'cloud', time: T0 + 14 * DAY }]);
    const failures = run.of('channel.request-failed');
    expect(failures[0]).toMatchObject({ reason: 'wns-unreachable', time: T0 + 15 * DAY });
    expect(run.of('wns.connected').map((e) => e.time)).toContain(T0 + 15 * DAY + 6 * HOUR);
    const issued = run.of('channel.issued');
    expect(issued).toHaveLength(2);
    expect(issued[1]?.time).toBeGreaterThan(T0 + 15 * DAY + 6 * HOUR);
  });

  it('a network that blocks WNS keeps the device offline for push (reason cloud)', () => {
    const run = runScenarioText(`
duration: P2D
devices: [${laptop()}]
events:
  - { at: P1D, device: d, set: { network: { wnsReachable: false } } }
  - { at: P1DT1H, push: { device: d } }
`);
    expect(run.of('wns.disconnected')).toMatchObject([{ reason: 'cloud', time: T0 + DAY }]);
    expect(run.of('push.dropped')).toMatchObject([{ reason: 'offline' }]);
  });
});

describe('Data Sense', () => {
  it('moving to an unmetered network restores the connection though the limit is reached', () => {
    const run = runScenarioText(`
duration: P3D
devices:
  - { id: d, pfn: ${PFN}, battery: { charging: true }, network: { metered: true, type: cellular }, dataSense: { limitMB: 10, usedMB: 0, backgroundMBPerHour: 1 }, poll: { first: { intervalMinutes: 1440, count: 0 } } }
events:
  - { at: P1D, device: d, set: { network: { metered: false, type: wifi } } }
`);
    const reached = run.of('data-sense.changed')[0];
    expect(reached?.limitReached).toBe(true);
    // 10 MB at 1 MB/h, less the 0.2 MB of the provisioning session.
    expect(reached?.time).toBe(T0 + Math.round(9.8 * HOUR));
    expect(run.of('wns.disconnected')).toMatchObject([{ reason: 'data-sense' }]);
    expect(run.of('wns.connected').map((e) => e.time)).toEqual([T0, T0 + DAY]);
  });
});

describe('sessions', () => {
  it('a push during a running session queues exactly one more session after it', () => {
    const run = runScenarioText(`
duration: PT1H
mdm: { sessionDuration: PT10S }
devices: [${laptop()}]
events:
  - { at: PT5S, push: { device: d } }
  - { at: PT6S, push: { device: d } }
`);
    expect(run.of('session.queued').map((e) => [e.time, e.trigger])).toEqual([
      [T0 + 5 * SECOND, 'push'],
    ]);
    expect(run.of('session.started').map((e) => [e.time, e.trigger])).toEqual([
      [T0, 'provisioned'],
      [T0 + 10 * SECOND, 'push'],
    ]);
  });

  it('a reboot cuts the session and the connection and re-requests the channel (reason boot)', () => {
    const run = runScenarioText(`
duration: PT1H
mdm: { sessionDuration: PT1M }
devices: [${laptop()}]
events:
  - { at: PT30S, device: d, reboot: true }
`);
    const at = T0 + 30 * SECOND;
    expect(run.at(at).map((e) => e.type)).toEqual([
      'device.rebooted',
      'wns.disconnected',
      'session.failed',
      'channel.requested',
      'channel.issued',
      'renewal.scheduled',
      'wns.connected',
      'session.started',
    ]);
    expect(run.of('session.failed')[0]).toMatchObject({ trigger: 'provisioned', reason: 'reboot' });
    expect(run.of('channel.requested').map((e) => e.reason)).toEqual(['provisioned', 'boot']);
    // The cut session's late completion (at T0 + 1 min) is ignored: only the new one completes.
    expect(run.of('session.completed').map((e) => e.time)).toEqual([at + MINUTE]);
  });

  it('setting a PFN on a running device requests a channel (reason provisioned) at once', () => {
    const run = runScenarioText(`
duration: P1D
devices: [{ id: d, battery: { charging: true } }]
events:
  - { at: PT2H, device: d, set: { pfn: ${PFN} } }
`);
    expect(run.of('session.started')[0]).toMatchObject({ trigger: 'poll', time: T0 });
    expect(run.of('channel.requested')).toMatchObject([
      { reason: 'provisioned', time: T0 + 2 * HOUR },
    ]);
    expect(run.of('channel.issued')[0]?.expiresAt).toBe(T0 + 2 * HOUR + 30 * DAY);
  });
});

describe('the same simulation on the system clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews at the 15-day mark in (faked) real time, as on the virtual clock', () => {
    vi.useFakeTimers({ now: T0 });
    const spec = loadScenario(`duration: P20D\ndevices: [${laptop()}]`);
    const sink = new MemorySink();
    const sim = new Simulation(spec, sink, { clock: new SystemClock() });
    sim.start();
    vi.advanceTimersByTime(15 * DAY + MINUTE);
    const live = sink.events.filter(
      (e) => e.type.startsWith('channel.') || e.type === 'renewal.scheduled',
    );

    const virtualSink = new MemorySink();
    new Simulation(spec, virtualSink).run(T0 + 15 * DAY + MINUTE);
    const virtual = virtualSink.events.filter(
      (e) => e.type.startsWith('channel.') || e.type === 'renewal.scheduled',
    );
    expect(live).toEqual(virtual);
    expect(live.filter((e) => e.type === 'channel.issued')).toHaveLength(2);
  });
});
