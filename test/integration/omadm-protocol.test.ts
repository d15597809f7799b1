/**
 * Over real HTTP on 127.0.0.1, with the real {@link OmaDmHttpClient} and a Fleet-like SyncML
 * server ("OMA DM protocol support"; DMClient CSP): an element the device does not run (`Copy`)
 * gets Status 400 for itself while the other commands of the message succeed; a server that sets
 * `SyncApplicationVersion` to 2.0 sees a 2-byte hexadecimal SessionID from the next session on.
 */
import { describe, expect, it } from 'vitest';
import { OmaDmHttpClient } from '../../src/adapters/http/omadm-client.js';
import { readAccount } from '../../src/core/dm/account-reader.js';
import type { DmTree } from '../../src/core/dm/dm-tree.js';
import { applyProvisioning } from '../../src/core/dm/provisioning-apply.js';
import { defaultIdentity, windowsTree } from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type { SessionResult } from '../../src/core/ports.js';
import type { SyncMLMessage } from '../../src/core/syncml/message.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import {
  FleetLikeServer,
  opensSession,
  serveFleetHttp,
  closedAfterEach,
  deviceStatuses,
} from '../helpers/fleet-like-server.js';
import { fleetProvisioningDoc } from '../helpers/fleet-provisioning.js';
import { until } from '../helpers/until.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const IDENTITY = defaultIdentity('dev-protocol', '22H2');
const NAME = 'enrolled-user';
const SECRET = 'f00d0000-1111-4222-8333-444455556666';
const SYNC_VERSION = './Vendor/MSFT/DMClient/Provider/Fleet/SyncApplicationVersion';
const readPush = () => ({ pfn: null, channelUri: null, status: PushStatus.NoChannelUri });

function enrolledTree(serverUrl: string): DmTree {
  const tree = windowsTree(IDENTITY, null, {
    now: () => T0,
    readPush,
    setPfn: () => undefined,
    pollConfig: () => DEFAULT_POLL,
    setPoll: () => undefined,
  });
  applyProvisioning(
    tree,
    fleetProvisioningDoc({ addr: serverUrl, username: NAME, secret: SECRET }),
  );
  return tree;
}

const get = (cmdId: number, uri: string): string =>
  `<Get><CmdID>${cmdId}</CmdID><Item><Target><LocURI>${uri}</LocURI></Target></Item></Get>`;
const replace = (cmdId: number, uri: string, data: string): string =>
  `<Replace><CmdID>${cmdId}</CmdID><Item><Target><LocURI>${uri}</LocURI></Target>` +
  `<Data>${data}</Data></Item></Replace>`;

const { servers, clients } = closedAfterEach();

async function setUp(respond: (message: SyncMLMessage) => string) {
  const fleet = new FleetLikeServer(NAME, SECRET, respond);
  const { url, server } = await serveFleetHttp(fleet);
  servers.push(server);
  const tree = enrolledTree(url);
  const client = new OmaDmHttpClient({ clock: new VirtualClock({ start: T0 }) });
  clients.push(client);
  const run = async (): Promise<SessionResult> => {
    let result: SessionResult | null = null;
    client.startSession(
      {
        deviceId: 'dev-protocol',
        trigger: 'poll',
        devId: IDENTITY.devId,
        readPush,
        account: readAccount(tree, 'Fleet'),
        identity: null,
        tree,
      },
      (r) => (result = r),
    );
    await until(() => result !== null, 'the session to end');
    return result as unknown as SessionResult;
  };
  return { fleet, tree, run };
}

describe('per-element errors over HTTP', () => {
  it('a Copy gets 400 for itself; the Get, the Replace and the session go on', async () => {
    let sent = false;
    const { fleet, tree, run } = await setUp((message) => {
      if (!opensSession(message) || sent) return '';
      sent = true;
      return (
        '<Copy><CmdID>2</CmdID><Item><Target><LocURI>./A</LocURI></Target></Item></Copy>' +
        get(3, './DevInfo/Man') +
        replace(4, './DevDetail/Ext/Microsoft/DeviceName', 'RENAMED') +
        '<Atomic><CmdID>5</CmdID><Search><CmdID>6</CmdID></Search></Atomic>'
      );
    });
    expect(await run()).toEqual({ ok: true });
    const answer = fleet.seen.find((s) =>
      deviceStatuses(s.commands).some(([cmd]) => cmd === 'Copy'),
    );
    expect(deviceStatuses(answer?.commands ?? [])).toEqual([
      ['Copy', '2', '400'],
      ['Get', '3', '200'],
      ['Replace', '4', '200'],
      ['Atomic', '5', '507'],
      ['Search', '6', '400'],
    ]);
    const results = answer?.commands.find((c) => c.kind === 'Results');
    expect(results).toMatchObject({ cmdRef: '3', items: [{ data: IDENTITY.man }] });
    expect(tree.read('./DevDetail/Ext/Microsoft/DeviceName')).toBe('RENAMED');
  });
});

describe('DM protocol 2.0 over HTTP', () => {
  it('after a Replace of SyncApplicationVersion to 2.0, the next session sends a 2-byte hexadecimal SessionID', async () => {
    let replaced = false;
    const { fleet, tree, run } = await setUp((message) => {
      if (!opensSession(message)) return '';
      if (replaced) return get(2, SYNC_VERSION);
      replaced = true;
      return replace(2, SYNC_VERSION, '2.0') + replace(3, SYNC_VERSION, '1.0');
    });
    expect(await run()).toEqual({ ok: true });
    // Session 1 stays decimal to its end; its Replace to 2.0 is 200, the way back 403.
    expect(new Set(fleet.seen.map((s) => s.sessionId))).toEqual(new Set(['1']));
    const first = fleet.seen.find((s) => deviceStatuses(s.commands).length > 0);
    expect(deviceStatuses(first?.commands ?? [])).toEqual([
      ['Replace', '2', '200'],
      ['Replace', '3', '403'],
    ]);
    expect(tree.read(SYNC_VERSION)).toBe('2.0');

    expect(await run()).toEqual({ ok: true });
    const second = fleet.seen.filter((s) => s.sessionId !== '1');
    expect(second.length).toBeGreaterThan(0);
    for (const s of second) expect(s.sessionId).toBe('0002');
    const read = second.flatMap((s) => s.commands).find((c) => c.kind === 'Results');
    expect(read).toMatchObject({ items: [{ data: '2.0' }] });
  });
});
