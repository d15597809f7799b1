import { describe, expect, it } from 'vitest';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type { MdmTransport } from '../../src/core/ports.js';
import { Simulation } from '../../src/core/simulation.js';
import { HOUR, MINUTE } from '../../src/core/time/iso.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenarioText } from '../helpers/run-scenario.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
/** A 1607 laptop that polls once a day, with extra fields. */
const laptop = (extra: string): string =>
  `{ id: d, os: "1607", pfn: ${PFN}, poll: { first: { intervalMinutes: 1440, count: 0 } }, ${extra} }`;

describe('Battery Saver and sessions', () => {
  it('cuts only the WNS connection: scheduled polls still run under Battery Saver', () => {
    const run = runScenarioText(`
duration: P2D
devices:
  - { id: d, os: "1607", pfn: ${PFN}, battery: { level: 19, charging: false, drainPerHour: 0.1 }, poll: { first: { intervalMinutes: 60, count: 0 } } }
`);
    expect(run.of('battery-saver.changed')[0]).toMatchObject({ on: true, time: T0 });
    expect(run.of('session.skipped')).toEqual([]);
    const polls = run.of('session.completed').filter((e) => e.trigger === 'poll');
    expect(polls.length).toBeGreaterThanOrEqual(47);
    expect(run.of('wns.connected')).toEqual([]);
  });

  it('with pollsInBatterySaver: delay, a poll due under Battery Saver waits for it to end', () => {
    const run = runScenarioText(`
duration: P1D
devices:
  - { id: d, os: "1607", pfn: ${PFN}, pollsInBatterySaver: delay, battery: { level: 19, charging: false, drainPerHour: 0.1 }, poll: { first: { intervalMinutes: 60, count: 0 } } }
events:
  - { at: PT5H30M, device: d, set: { battery: { charging: true } } }
`);
    const skipped = run.of('session.skipped');
    expect(skipped.map((e) => [e.time, e.trigger, e.reason])).toEqual([
      [T0 + HOUR, 'poll', 'battery-saver'],
    ]);
    const polls = run.of('session.started').filter((e) => e.trigger === 'poll');
    // The first session is the provisioning one; the delayed poll runs at plug-in.
    expect(polls.map((e) => e.time).slice(0, 2)).toEqual([
      T0 + 5 * HOUR + 30 * MINUTE,
      T0 + 6 * HOUR,
    ]);
  });

  it('an exempt device keeps its connection in Battery Saver and a pushed session runs', () => {
    const run = runScenarioText(`
duration: P1D
devices:
  - ${laptop('battery: { level: 30, charging: false, drainPerHour: 2 }, wnsPriorityExempt: true')}
events:
  - { at: PT6H, push: { device: d, cachePolicy: cache } }
`);
    expect(run.of('battery-saver.changed')[0]).toMatchObject({ on: true, time: T0 + 5 * HOUR });
    // Only the empty battery (30 % at 2 %/h: 15 h) ends the connection.
    expect(run.of('wns.disconnected').map((e) => [e.time, e.reason])).toEqual([
      [T0 + 15 * HOUR, 'powered-off'],
    ]);
    expect(run.of('push.received')[0]).toMatchObject({ time: T0 + 6 * HOUR, priority: 3 });
    expect(run.of('session.started').map((e) => [e.time, e.trigger])).toContainEqual([
      T0 + 6 * HOUR,
      'push',
    ]);
    expect(run.of('push.status').map((e) => e.status)).toEqual([0]);
  });
});

describe('an empty battery', () => {
  const run = runScenarioText(`
duration: P2D
devices:
  - ${laptop('battery: { level: 10, charging: false, drainPerHour: 1 }, wnsPriorityExempt: true')}
events:
  - { at: PT20H, device: d, set: { battery: { charging: true } } }
`);

  it('turns the device off at 0 %: no connection, a renewal dropped, polls skipped', () => {
    expect(run.of('device.powered-off')).toEqual([
      { time: T0 + 10 * HOUR, device: 'd', type: 'device.powered-off' },
    ]);
    expect(run.of('wns.disconnected')).toContainEqual(
      expect.objectContaining({ time: T0 + 10 * HOUR, reason: 'powered-off' }),
    );
    const whileOff = run.events.filter((e) => e.time > T0 + 10 * HOUR && e.time < T0 + 20 * HOUR);
    expect(whileOff.filter((e) => e.type === 'session.started')).toEqual([]);
    expect(whileOff.filter((e) => e.type === 'channel.requested')).toEqual([]);
    expect(whileOff.filter((e) => e.type === 'wns.connected')).toEqual([]);
  });

  it('boots when charging starts: a channel request with reason boot, then a session', () => {
    expect(run.of('device.booted')).toEqual([
      { time: T0 + 20 * HOUR, device: 'd', type: 'device.booted', battery: 0 },
    ]);
    expect(run.of('channel.requested').map((e) => [e.time, e.reason])).toContainEqual([
      T0 + 20 * HOUR,
      'boot',
    ]);
    expect(run.of('wns.connected').at(-1)?.time).toBe(T0 + 20 * HOUR);
    expect(run.of('session.started').map((e) => [e.time, e.trigger])).toContainEqual([
      T0 + 20 * HOUR,
      'renewal',
    ]);
  });
});

describe('WNS priorities (screen off on battery)', () => {
  const scenario = (extra: string, events: string): string => `
duration: P1D
devices:
  - ${laptop(`battery: { level: 90, charging: false, drainPerHour: 1 }, screen: off${extra}`)}
events:
${events}`;

  it('delivers High at once and holds Low (the raw default) until the screen turns on', () => {
    const run = runScenarioText(
      scenario(
        '',
        `  - { at: PT1H, push: { device: d } }
  - { at: PT2H, push: { device: d, priority: 1 } }
  - { at: PT5H, device: d, set: { screen: on } }`,
      ),
    );
    // Starting with the screen off is said at start; turning it on at 5 h too.
    expect(run.of('screen.changed').map((e) => [e.time, e.screen])).toEqual([
      [T0, 'off'],
      [T0 + 5 * HOUR, 'on'],
    ]);
    const [held] = run.of('push.held');
    expect(held).toMatchObject({ time: T0 + HOUR, priority: 3, reason: 'screen-off-on-battery' });
    expect(run.of('push.received').map((e) => [e.time, e.priority, e.heldAt])).toEqual([
      [T0 + 2 * HOUR, 1, undefined],
      [T0 + 5 * HOUR, 3, T0 + HOUR],
    ]);
    const pushSessions = run.of('session.started').filter((e) => e.trigger === 'push');
    expect(pushSessions.map((e) => e.time)).toEqual([T0 + 2 * HOUR, T0 + 5 * HOUR]);
  });

  it('releases a held push on plug-in, and keeps only the latest per channel', () => {
    const run = runScenarioText(
      scenario(
        '',
        `  - { at: PT1H, push: { device: d, priority: 2 } }
  - { at: PT2H, push: { device: d, priority: 4 } }
  - { at: PT3H, device: d, set: { battery: { charging: true } } }`,
      ),
    );
    const [first, second] = run.of('push.held');
    expect(run.of('push.dropped')).toEqual([
      expect.objectContaining({ time: T0 + 2 * HOUR, msgId: first?.msgId, reason: 'replaced' }),
    ]);
    expect(run.of('push.received')).toEqual([
      expect.objectContaining({ time: T0 + 3 * HOUR, msgId: second?.msgId, priority: 4 }),
    ]);
  });

  it('delivers Medium and Low at once to an exempt app, holds Very Low', () => {
    const run = runScenarioText(
      scenario(
        ', wnsPriorityExempt: true',
        `  - { at: PT1H, push: { device: d, priority: 2 } }
  - { at: PT2H, push: { device: d } }
  - { at: PT3H, push: { device: d, priority: 4 } }`,
      ),
    );
    expect(run.of('push.received').map((e) => e.time)).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
    expect(run.of('push.held').map((e) => e.priority)).toEqual([4]);
  });

  it('drops a held push at its TTL deadline (cache-expired)', () => {
    const run = runScenarioText(
      scenario(
        '',
        `  - { at: PT1H, push: { device: d, ttlSeconds: 1800 } }
  - { at: PT3H, device: d, set: { screen: on } }`,
      ),
    );
    expect(run.of('push.held')[0]?.expiresAt).toBe(T0 + HOUR + 30 * MINUTE);
    expect(run.of('push.dropped')).toEqual([
      expect.objectContaining({ time: T0 + HOUR + 30 * MINUTE, reason: 'cache-expired' }),
    ]);
    expect(run.of('push.received')).toEqual([]);
  });

  it('a held push released while the network is down sets Push/Status 7 (skip)', () => {
    const run = runScenarioText(
      scenario(
        '',
        `  - { at: PT1H, push: { device: d } }
  - { at: PT2H, device: d, set: { network: { connected: false } } }
  - { at: PT3H, device: d, set: { screen: on } }`,
      ),
    );
    expect(run.of('session.skipped').filter((e) => e.trigger === 'push')).toEqual([
      expect.objectContaining({ time: T0 + 3 * HOUR, reason: 'no-network' }),
    ]);
    expect(run.of('push.status').map((e) => [e.time, e.status])).toContainEqual([T0 + 3 * HOUR, 7]);
  });
});

describe('Push/Status 7 when the pushed session cannot reach the server', () => {
  it('is set by a failed push session and cleared by the next session', () => {
    const spec = loadScenario(
      `duration: P1D\ndevices: [${laptop('battery: { level: 90, charging: true }')}]`,
    );
    const failing: MdmTransport = {
      startSession: (request, done) =>
        done(
          request.trigger === 'push' ? { ok: false, reason: 'connect ECONNREFUSED' } : { ok: true },
        ),
    };
    const sink = new MemorySink();
    const sim = new Simulation(spec, sink, { mdm: failing });
    sim.start();
    sim.run(T0 + HOUR);
    const uri = sim.device('d')?.snapshot().channelUri as string;
    sim.cloud?.send(uri, { cachePolicy: 'no-cache' });
    expect(sim.device('d')?.snapshot().pushStatus).toBe(PushStatus.PushWithoutSession);
    expect(sink.ofType('session.failed')).toEqual([
      expect.objectContaining({ trigger: 'push', reason: 'connect ECONNREFUSED' }),
    ]);
    sim.run(T0 + 25 * HOUR);
    expect(sim.device('d')?.snapshot().pushStatus).toBe(PushStatus.Success);
  });
});
