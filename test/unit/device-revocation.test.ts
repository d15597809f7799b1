/**
 * The DMClient revokes its channels at WNS when Push/PFN is deleted or replaced: the old URI then
 * answers 410 (reason channel-revoked); a revocation that fails sets Push/Status 6 until a later
 * one succeeds or a new channel is issued; what is still to revoke survives a snapshot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SimDevice } from '../../src/core/device/device.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import { Simulation } from '../../src/core/simulation.js';
import { HOUR, MINUTE } from '../../src/core/time/iso.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { loadScenario } from '../../src/scenario/load.js';

const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
const OTHER = 'Fabrikam.MDM_8wekyb3d8bbwe';
const PUSH = './Vendor/MSFT/DMClient/Provider/DMPUSH/Push';

const SCENARIO = `
start: 2026-01-01T00:00:00Z
duration: P2D
devices:
  - id: d
    pfn: ${PFN}
    battery: { level: 90, charging: true }
    poll: { first: { intervalMinutes: 60, count: 0 } }
`;

function world(text = SCENARIO) {
  const spec = loadScenario(text);
  const sink = new MemorySink();
  const sim = new Simulation(spec, sink);
  sim.run(spec.start + MINUTE);
  const device = sim.device('d') as SimDevice;
  const uri = device.snapshot().channelUri as string;
  const send = (to = uri): number => sim.cloud?.send(to, { cachePolicy: 'no-cache' }).status ?? -1;
  return { spec, sink, sim, device, uri, send, t0: spec.start };
}

describe('channel revocation by the DMClient', () => {
  it('a Delete of Push/PFN revokes the channel: 410 channel-revoked, Push/Status 4', () => {
    const w = world();
    expect(w.send()).toBe(200);
    const outcome = w.device.tree.run({
      kind: 'Delete',
      cmdId: '1',
      items: [{ target: `${PUSH}/PFN` }],
    });
    expect(outcome.statuses[0]?.code).toBe(200);
    expect(w.sink.ofType('channel.revoked')).toEqual([
      expect.objectContaining({ device: 'd', pfn: PFN }),
    ]);
    expect(w.send()).toBe(410);
    expect(w.sink.ofType('push.rejected').at(-1)).toMatchObject({ reason: 'channel-revoked' });
    expect(w.device.snapshot().pushStatus).toBe(PushStatus.NoChannelUri);
  });

  it('a Replace of Push/PFN revokes the old channels and issues a new one (Status 0)', () => {
    const w = world();
    w.device.tree.run({
      kind: 'Replace',
      cmdId: '1',
      items: [{ target: `${PUSH}/PFN`, data: OTHER }],
    });
    const now = w.device.snapshot();
    expect(now.channelUri).not.toBe(w.uri);
    expect(now.pushStatus).toBe(PushStatus.Success);
    expect(w.send()).toBe(410);
    expect(w.send(now.channelUri as string)).toBe(200);
  });

  it('no revocation when the device never held a channel for the old PFN', () => {
    const w = world(SCENARIO.replace(`pfn: ${PFN}`, 'pfn: null'));
    w.device.apply({ pfn: PFN });
    w.device.apply({ pfn: null });
    expect(w.sink.ofType('channel.revoked')).toHaveLength(1);
    const w2 = world(
      `wns: { unknownPfns: [${OTHER}] }\n${SCENARIO.replace(`pfn: ${PFN}`, `pfn: ${OTHER}`)}`,
    );
    expect(w2.sink.ofType('channel.request-failed')).toHaveLength(1);
    w2.device.apply({ pfn: null });
    expect(w2.sink.ofType('channel.revoked')).toEqual([]);
    expect(w2.sink.ofType('channel.revoke-failed')).toEqual([]);
  });

  it('fails without network (Push/Status 6, the URI still works), then revokes at the next session', () => {
    const w = world();
    w.device.apply({ network: { connected: false, internet: false } });
    w.device.apply({ pfn: null });
    expect(w.sink.ofType('channel.revoke-failed')).toEqual([
      expect.objectContaining({ pfn: PFN, reason: 'no-network' }),
    ]);
    expect(w.device.snapshot().pushStatus).toBe(PushStatus.ChannelUriRevokeFailed);
    expect(w.send()).toBe(200);
    // Sessions requested while offline do not retry (no event per skipped poll).
    w.sim.run(w.t0 + 3 * HOUR);
    expect(w.sink.ofType('channel.revoke-failed')).toHaveLength(1);
    w.device.apply({ network: { connected: true, internet: true } });
    w.sim.run(w.t0 + 5 * HOUR);
    const revoked = w.sink.ofType('channel.revoked');
    expect(revoked).toHaveLength(1);
    const session = w.sink.ofType('session.started').find((e) => e.time >= (revoked[0]?.time ?? 0));
    expect(session?.time).toBe(revoked[0]?.time);
    expect(w.device.snapshot().pushStatus).toBe(PushStatus.NoChannelUri);
    expect(w.send()).toBe(410);
  });

  it('fails during a WNS outage (wns-unreachable); after it, revoked and a new channel: 6 → 4 → 0', () => {
    const w = world();
    w.sim.cloud?.setAvailable(false);
    w.device.apply({ pfn: OTHER });
    const failed = w.sink.ofType('channel.revoke-failed');
    expect(failed[0]).toMatchObject({ pfn: PFN, reason: 'wns-unreachable' });
    // Each channel request during the outage tries again, and fails again.
    for (const e of failed) expect(e).toMatchObject({ pfn: PFN, reason: 'wns-unreachable' });
    expect(w.device.snapshot().pushStatus).toBe(PushStatus.ChannelUriRevokeFailed);
    w.sim.cloud?.setAvailable(true);
    w.sim.run(w.t0 + 30 * HOUR);
    expect(w.device.snapshot().pushStatus).toBe(PushStatus.Success);
    const statuses = w.sink.ofType('push.status').map((e) => e.status);
    expect(statuses.slice(-3)).toEqual([
      PushStatus.ChannelUriRevokeFailed,
      PushStatus.NoChannelUri,
      PushStatus.Success,
    ]);
    expect(w.sink.ofType('channel.revoked')).toEqual([expect.objectContaining({ pfn: PFN })]);
    expect(w.send()).toBe(410);
  });

  it('Status 6 stays across later PFN changes while the failed revocation is pending', () => {
    const w = world();
    w.device.apply({ network: { wnsReachable: false } });
    w.device.apply({ pfn: OTHER });
    w.device.apply({ pfn: null });
    expect(w.device.snapshot().pushStatus).toBe(PushStatus.ChannelUriRevokeFailed);
    w.device.apply({ network: { wnsReachable: true } });
    w.sim.run(w.t0 + 3 * HOUR);
    expect(w.device.snapshot().pushStatus).toBe(PushStatus.NoChannelUri);
    expect(w.send()).toBe(410);
  });

  it('keeps a failed revocation across a snapshot and revokes after the restore', () => {
    const w = world();
    w.device.apply({ network: { wnsReachable: false } });
    w.device.apply({ pfn: null });
    const data = JSON.parse(JSON.stringify(w.sim.snapshot())) as {
      devices: { revocations?: string[] }[];
    };
    expect(data.devices[0]?.revocations).toEqual([PFN]);
    const sink = new MemorySink();
    const restored = Simulation.restore(w.spec, data, sink);
    const device = restored.device('d') as SimDevice;
    expect(device.snapshot().pushStatus).toBe(PushStatus.ChannelUriRevokeFailed);
    device.apply({ network: { wnsReachable: true } });
    restored.run(w.t0 + 3 * HOUR);
    expect(sink.ofType('channel.revoked')).toEqual([expect.objectContaining({ pfn: PFN })]);
    expect(restored.cloud?.send(w.uri, { cachePolicy: 'no-cache' }).status).toBe(410);
    // And a revoked channel stays revoked across the next snapshot.
    const again = Simulation.restore(
      w.spec,
      JSON.parse(JSON.stringify(restored.snapshot())),
      new MemorySink(),
    );
    expect(again.cloud?.send(w.uri, { cachePolicy: 'no-cache' }).status).toBe(410);
  });
});

describe('channel revocation (property)', () => {
  type Op =
    { readonly pfn: string | null } | { readonly reachable: boolean } | { readonly hours: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.constantFrom(PFN, OTHER, null).map((pfn) => ({ pfn })),
    fc.boolean().map((reachable) => ({ reachable })),
    fc.integer({ min: 0, max: 30 }).map((hours) => ({ hours })),
  );

  it('once WNS is reachable and a session ran, only the current PFN has live channels; no Status 6', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
        const w = world(SCENARIO.replace('duration: P2D', 'duration: P30D'));
        let t = w.t0 + MINUTE;
        for (const op of ops) {
          if ('pfn' in op) w.device.apply({ pfn: op.pfn });
          else if ('reachable' in op) w.device.apply({ network: { wnsReachable: op.reachable } });
          else w.sim.run((t += op.hours * HOUR));
        }
        w.device.apply({ network: { wnsReachable: true } });
        w.sim.run((t += 2 * HOUR));
        const current = w.device.snapshot().pfn;
        for (const c of w.sim.cloud?.listChannels() ?? [])
          if (c.pfn !== current && c.expiresAt > t) expect(c.revoked, c.uri).toBe(true);
        expect(w.device.snapshot().pushStatus).not.toBe(PushStatus.ChannelUriRevokeFailed);
      }),
      { numRuns: 60 },
    );
  });
});
