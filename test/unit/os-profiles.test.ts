import { describe, expect, it } from 'vitest';
import { attemptGoesAhead } from '../../src/core/dmclient/renewal-policy.js';
import type { DmTree } from '../../src/core/dm/dm-tree.js';
import { DISALLOW_CLOUD_NOTIFICATION } from '../../src/core/dm/policy-nodes.js';
import {
  defaultIdentity,
  windowsTree,
  type WindowsTreeBindings,
} from '../../src/core/dm/windows-tree.js';
import { resolveProfile, type EnrollDeviceProfile } from '../../src/core/enroll/device-profile.js';
import {
  allOsProfiles,
  buildOf,
  OS_NAMES,
  osLabel,
  osNameOf,
  osProfile,
  osProfileForBuild,
  type OsName,
} from '../../src/core/os/os-profiles.js';
import { Simulation } from '../../src/core/simulation.js';
import { HOUR, MINUTE } from '../../src/core/time/iso.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { loadScenario } from '../../src/scenario/load.js';
import { deviceSpecWith, simulationSpecFor } from '../../src/testing/arbitraries.js';
import { runScenarioText } from '../helpers/run-scenario.js';

/** Every version: build, retry logic, enrollment RequestVersion (docs/model.md §14). */
const TABLE: readonly (readonly [OsName, number, '1511' | '1607', string])[] = [
  ['1511', 10586, '1511', '4.0'],
  ['1607', 14393, '1607', '4.0'],
  ['1703', 15063, '1607', '4.0'],
  ['1709', 16299, '1607', '4.0'],
  ['1803', 17134, '1607', '4.0'],
  ['1809', 17763, '1607', '4.0'],
  ['1903', 18362, '1607', '4.0'],
  ['1909', 18363, '1607', '4.0'],
  ['2004', 19041, '1607', '4.0'],
  ['20H2', 19042, '1607', '4.0'],
  ['21H1', 19043, '1607', '4.0'],
  ['21H2', 19044, '1607', '4.0'],
  ['22H2', 19045, '1607', '4.0'],
  ['11-21H2', 22000, '1607', '5.0'],
  ['11-22H2', 22621, '1607', '5.0'],
  ['11-23H2', 22631, '1607', '6.0'],
  ['11-24H2', 26100, '1607', '7.0'],
  ['11-25H2', 26200, '1607', '9.0'],
];

/** The first version (by build) with each version-dependent node, from the CSP pages. */
const NODES: readonly (readonly [string, number])[] = [
  ['./Vendor/MSFT/DMClient/Provider/P/AADDeviceID', 14393],
  ['./Vendor/MSFT/DMClient/Provider/P/EnrollmentType', 14393],
  ['./Vendor/MSFT/DMClient/Provider/P/HWDevID', 14393],
  ['./Vendor/MSFT/DMClient/HWDevID', 16299],
  [DISALLOW_CLOUD_NOTIFICATION, 17134],
  ['./DevDetail/Ext/Microsoft/SMBIOSSerialNumber', 17763],
  ['./DevDetail/Ext/Microsoft/DNSComputerName', 19041],
];

const getStatus = (tree: DmTree, uri: string): number | undefined =>
  tree.run({ kind: 'Get', cmdId: '1', items: [{ target: uri }] }).statuses[0]?.code;

function treeOf(os: string, changed?: (disallowed: boolean) => void): DmTree {
  const bindings = {
    now: () => 0,
    readPush: () => ({ pfn: null, channelUri: null, status: 4 }),
    setPfn: () => {},
    pollConfig: () => ({}),
    setPoll: () => {},
    ...(changed && { cloudNotificationChanged: changed }),
  } as unknown as WindowsTreeBindings;
  return windowsTree(defaultIdentity('dev', os), 'P', bindings);
}

describe('OS profiles', () => {
  it('has every version, oldest first, with its build, retry logic and RequestVersion', () => {
    expect(OS_NAMES).toEqual(TABLE.map(([name]) => name));
    for (const [name, build, retryLogic, requestVersion] of TABLE) {
      expect(osProfile(name)).toMatchObject({ name, build, retryLogic, requestVersion });
      expect(osProfile(name).family).toBe(name.startsWith('11-') ? 'windows11' : 'windows10');
      expect(osProfileForBuild(build)?.name).toBe(name);
      expect(attemptGoesAhead(name, false)).toBe(retryLogic === '1511');
    }
    expect(allOsProfiles()).toHaveLength(TABLE.length);
  });

  it('puts the build in SwV (DevDetail) and the family in OSPlatform', () => {
    for (const [name, build] of TABLE) {
      const swV = defaultIdentity('dev', name).swV;
      expect(swV).toMatch(new RegExp(`^10\\.0\\.${build}\\.\\d+$`));
      expect(buildOf(swV)).toBe(build);
      expect(treeOf(name).read('./DevDetail/Ext/Microsoft/OSPlatform')).toBe(
        build >= 22000 ? 'Windows 11 Enterprise' : 'Windows 10 Enterprise',
      );
    }
  });

  it('reads the older win11-… spellings as the versions they name; refuses others, listing all', () => {
    expect(osNameOf('win11-22H2')).toBe('11-22H2');
    expect(osProfile('win11-24H2').build).toBe(26100);
    expect(osNameOf('1512')).toBeNull();
    expect(() => osProfile('11-20H2')).toThrow(
      'os: expected one of 1511, 1607, 1703, 1709, 1803, 1809, 1903, 1909, 2004, 20H2, 21H1, 21H2, 22H2, 11-21H2, 11-22H2, 11-23H2, 11-24H2, 11-25H2, got "11-20H2"',
    );
    expect(osLabel('11-24H2')).toBe('Windows 11 24H2');
    expect(osLabel('1607')).toBe('Windows 10 1607');
  });

  it('a library spec: an older spelling names its version, an unknown one is refused at once', () => {
    const spec = (os: string) =>
      simulationSpecFor(deviceSpecWith({ id: 'pc', os: os as OsName }), [], { duration: HOUR });
    const sink = new MemorySink();
    new Simulation(spec('win11-23H2'), sink).run();
    expect(sink.ofType('device.started')[0]?.os).toBe('11-23H2');
    expect(() => new Simulation(spec('nt4'), new MemorySink())).toThrow(
      /^device pc: os: expected one of 1511, .*11-25H2, got "nt4"$/,
    );
  });

  it('gives each version the nodes it has: a later node is 404 on an earlier version', () => {
    for (const [name, build] of TABLE) {
      const tree = treeOf(name);
      for (const [uri, since] of NODES)
        expect([name, uri, getStatus(tree, uri)]).toEqual([name, uri, build >= since ? 200 : 404]);
      // Nodes every version has.
      expect(getStatus(tree, './Vendor/MSFT/DMClient/Provider/P/Push/Status')).toBe(200);
      expect(getStatus(tree, './DevDetail/Ext/Microsoft/TotalRAM')).toBe(200);
    }
  });

  it('a provider Added by a server has the version’s nodes too', () => {
    for (const [os, has] of [
      ['1511', false],
      ['1607', true],
    ] as const) {
      const tree = treeOf(os);
      const added = tree.run({
        kind: 'Add',
        cmdId: '1',
        items: [{ target: './Vendor/MSFT/DMClient/Provider/Q' }],
      });
      expect(added.statuses[0]?.code).toBe(200);
      expect(getStatus(tree, './Vendor/MSFT/DMClient/Provider/Q/AADDeviceID')).toBe(
        has ? 200 : 404,
      );
    }
  });

  it('enrolls with the version’s RequestVersion and build', () => {
    const base: EnrollDeviceProfile = {
      devId: 'A',
      hwDevId: 'B',
      deviceName: 'DESKTOP-1',
      release: 'windows10',
      email: '',
    };
    for (const [name, build, , requestVersion] of TABLE) {
      const resolved = resolveProfile({ ...base, os: name });
      expect(resolved.requestVersion).toBe(requestVersion);
      expect(buildOf(resolved.osVersion)).toBe(build);
      expect(resolved.defaultHash).toBe(name.startsWith('11-') ? 'SHA-256' : 'SHA-1');
    }
    expect(resolveProfile({ ...base, os: '11-25H2', requestVersion: '6.0' }).requestVersion).toBe(
      '6.0',
    );
  });
});

describe('os in a scenario', () => {
  it('takes every version by name, YAML’s unquoted 1607, an older spelling and a choice', () => {
    for (const name of OS_NAMES) {
      const spec = loadScenario(`devices: [{ id: d, os: "${name}" }]`);
      expect(spec.devices[0]?.os).toBe(name);
    }
    expect(loadScenario('devices: [{ id: d, os: 1607 }]').devices[0]?.os).toBe('1607');
    expect(loadScenario('devices: [{ id: d, os: win11-22H2 }]').devices[0]?.os).toBe('11-22H2');
    const drawn = loadScenario(
      'devices: [{ id: d, count: 40, os: { choice: ["1511", "11-25H2"] } }]',
    ).devices.map((d) => d.os);
    expect(new Set(drawn)).toEqual(new Set(['1511', '11-25H2']));
    expect(loadScenario('devices: [{ id: d }]').devices[0]?.os).toBe('1607');
  });

  it('refuses another name, listing the valid ones', () => {
    for (const bad of ['1512', '11-20H2', '10', 'Windows 11']) {
      expect(() => loadScenario(`devices: [{ id: d, os: "${bad}" }]`)).toThrow(
        `devices[0].os: expected a Windows version, one of ${OS_NAMES.join(', ')} (or { choice: [...] }), got "${bad}"`,
      );
    }
  });
});

describe('Policy Notifications/DisallowCloudNotification', () => {
  const set = (tree: DmTree, kind: 'Add' | 'Replace' | 'Delete', data?: string): number =>
    tree.run({
      kind,
      cmdId: '1',
      items: [{ target: DISALLOW_CLOUD_NOTIFICATION, ...(data !== undefined && { data }) }],
    }).statuses[0]?.code ?? 0;

  it('reads 0 until set; Replace sets 0 or 1 (415 otherwise); Delete brings back 0', () => {
    const calls: boolean[] = [];
    const tree = treeOf('1803', (d) => calls.push(d));
    expect(tree.read(DISALLOW_CLOUD_NOTIFICATION)).toBe('0');
    expect(set(tree, 'Replace', '1')).toBe(200);
    expect(tree.read(DISALLOW_CLOUD_NOTIFICATION)).toBe('1');
    expect(set(tree, 'Replace', '2')).toBe(415);
    expect(set(tree, 'Add', '1')).toBe(418);
    expect(set(tree, 'Delete')).toBe(200);
    expect(tree.read(DISALLOW_CLOUD_NOTIFICATION)).toBe('0');
    expect(calls).toEqual([true, false]);
    // The same node under ./Device.
    expect(
      getStatus(tree, './Device/Vendor/MSFT/Policy/Config/Notifications/DisallowCloudNotification'),
    ).toBe(200);
  });

  it('is absent before 1803: Get and Replace 404, Add 404 (no Notifications area)', () => {
    const tree = treeOf('1709');
    expect(set(tree, 'Replace', '1')).toBe(404);
    expect(set(tree, 'Add', '1')).toBe(404);
    expect(getStatus(tree, './Vendor/MSFT/Policy/Config')).toBe(200);
  });

  const DEVICE = `{ id: d, os: "22H2", pfn: Contoso.MDM_8wekyb3d8bbwe, battery: { level: 90, charging: true }, poll: { first: { intervalMinutes: 60, count: 0 } } }`;

  it('set to 1 by a server, closes the WNS connection (policy): pushes never arrive, polls go on', () => {
    const spec = loadScenario(`
duration: PT6H
devices: [${DEVICE}]
events:
  - { at: PT2H, push: { device: d } }
  - { at: PT4H, push: { device: d, cachePolicy: cache } }
`);
    const sink = new MemorySink();
    const sim = new Simulation(spec, sink);
    sim.start();
    sim.run(spec.start + HOUR);
    const device = sim.device('d')!;
    expect(device.snapshot().wnsConnected).toBe(true);
    const replace = device.tree.run({
      kind: 'Replace',
      cmdId: '1',
      items: [{ target: DISALLOW_CLOUD_NOTIFICATION, data: '1' }],
    });
    expect(replace.statuses[0]?.code).toBe(200);
    expect(sink.ofType('wns.disconnected')).toMatchObject([
      { time: spec.start + HOUR, reason: 'policy' },
    ]);
    // It stays off through a restart (the policy is in the saved tree).
    const data: unknown = JSON.parse(JSON.stringify(sim.snapshot()));
    const restored = Simulation.restore(spec, data, sink);
    restored.run(spec.start + 6 * HOUR);
    expect(restored.device('d')!.snapshot().wnsConnected).toBe(false);
    expect(sink.ofType('push.received')).toEqual([]);
    expect(sink.ofType('wns.connected')).toHaveLength(1);
    const polls = sink.ofType('session.started').filter((e) => e.time > spec.start + HOUR);
    expect(polls.length).toBeGreaterThanOrEqual(4);
    expect(polls.every((e) => e.trigger === 'poll')).toBe(true);
  });

  it('set back to 0, the connection comes back', () => {
    const spec = loadScenario(`duration: PT6H\ndevices: [${DEVICE}]`);
    const sink = new MemorySink();
    const sim = new Simulation(spec, sink);
    sim.start();
    sim.run(spec.start + MINUTE);
    const tree = sim.device('d')!.tree;
    expect(set(tree, 'Replace', '1')).toBe(200);
    sim.run(spec.start + 2 * HOUR);
    expect(set(tree, 'Replace', '0')).toBe(200);
    expect(sink.ofType('wns.connected').map((e) => e.time)).toEqual([
      spec.start,
      spec.start + 2 * HOUR,
    ]);
  });
});

describe('wnsPushService: disabled (dmwappushservice)', () => {
  it('pushes reach the device but start no session (session.skipped); polls still run', () => {
    const run = runScenarioText(`
duration: PT6H
devices:
  - { id: d, pfn: Contoso.MDM_8wekyb3d8bbwe, wnsPushService: disabled, battery: { level: 90, charging: true }, poll: { first: { intervalMinutes: 60, count: 0 } } }
events:
  - { at: PT2H, push: { device: d } }
  - { at: PT3H, device: d, set: { wnsPushService: running } }
  - { at: PT4H, push: { device: d } }
`);
    const start = run.spec.start;
    // WpnService keeps the connection: WNS delivers.
    expect(run.of('wns.disconnected')).toEqual([]);
    expect(run.of('push.received').map((e) => e.time)).toEqual([
      start + 2 * HOUR,
      start + 4 * HOUR,
    ]);
    expect(run.of('session.skipped')).toMatchObject([
      { time: start + 2 * HOUR, trigger: 'push', reason: 'push-service-disabled' },
    ]);
    expect(run.of('push-service.changed')).toMatchObject([
      { time: start + 3 * HOUR, state: 'running' },
    ]);
    const pushSessions = run.of('session.started').filter((e) => e.trigger === 'push');
    expect(pushSessions.map((e) => e.time)).toEqual([start + 4 * HOUR]);
    expect(run.of('session.started').filter((e) => e.trigger === 'poll').length).toBeGreaterThan(4);
    // Not a power or connectivity limit: Push/Status stays 0.
    expect(run.of('push.status').map((e) => e.status)).toEqual([0]);
  });

  it('is kept across a snapshot only when disabled', () => {
    const spec = loadScenario(
      `duration: PT2H\ndevices: [{ id: a, wnsPushService: disabled }, { id: b }]`,
    );
    const sim = new Simulation(spec, new MemorySink());
    sim.start();
    expect(sim.saveDevice('a').wnsPushService).toBe('disabled');
    expect('wnsPushService' in sim.saveDevice('b')).toBe(false);
    const data: unknown = JSON.parse(JSON.stringify(sim.snapshot()));
    const restored = Simulation.restore(spec, data, new MemorySink());
    expect(restored.device('a')!.snapshot().wnsPushService).toBe('disabled');
    expect(restored.device('b')!.snapshot().wnsPushService).toBe('running');
  });
});
