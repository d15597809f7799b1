/**
 * A server sets Policy `Notifications/DisallowCloudNotification` over HTTP with the real
 * {@link OmaDmHttpClient}: on 1803 and later the device's tree takes the SyncML Replace (Status
 * 200) and tells the device the policy changed (which cuts its WNS connection: see
 * `test/unit/os-profiles.test.ts`); before 1803 the node does not exist (Status 404).
 */
import { describe, expect, it } from 'vitest';
import { OmaDmHttpClient } from '../../src/adapters/http/omadm-client.js';
import { readAccount } from '../../src/core/dm/account-reader.js';
import type { DmTree } from '../../src/core/dm/dm-tree.js';
import { DISALLOW_CLOUD_NOTIFICATION } from '../../src/core/dm/policy-nodes.js';
import { applyProvisioning } from '../../src/core/dm/provisioning-apply.js';
import { defaultIdentity, windowsTree } from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type { OsName } from '../../src/core/os/os-profiles.js';
import type { SessionRequest, SessionResult } from '../../src/core/ports.js';
import type { StatusCommand, SyncMLMessage } from '../../src/core/syncml/message.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import {
  FleetLikeServer,
  opensSession,
  serveFleetHttp,
  type Responder,
  closedAfterEach,
} from '../helpers/fleet-like-server.js';
import { fleetProvisioningDoc } from '../helpers/fleet-provisioning.js';
import { until } from '../helpers/until.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const USER = 'enrolled-user';
const SECRET = 'f00d0000-1111-4222-8333-444455556666';
const POLICY_URI = './Device/Vendor/MSFT/Policy/Config/Notifications/DisallowCloudNotification';
const readPush = () => ({ pfn: null, channelUri: null, status: PushStatus.NoChannelUri });

/** An enrolled device of `os`: its tree, and the policy changes it was told of. */
function enrolledDevice(os: OsName, serverUrl: string): { tree: DmTree; changes: boolean[] } {
  const changes: boolean[] = [];
  const tree = windowsTree(defaultIdentity(`dev-${os}`, os), null, {
    now: () => T0,
    readPush,
    setPfn: () => undefined,
    pollConfig: () => DEFAULT_POLL,
    setPoll: () => undefined,
    cloudNotificationChanged: (disallowed) => changes.push(disallowed),
  });
  applyProvisioning(
    tree,
    fleetProvisioningDoc({ addr: serverUrl, username: USER, secret: SECRET }),
  );
  return { tree, changes };
}

/** Package 1 gets the Replace (Intune's and Microsoft's examples use Replace); then the end. */
const setPolicy: Responder = (message: SyncMLMessage) =>
  opensSession(message)
    ? `<Replace><CmdID>2</CmdID><Item><Target><LocURI>${POLICY_URI}</LocURI></Target>` +
      `<Meta><Format xmlns="syncml:metinf">int</Format></Meta><Data>1</Data></Item></Replace>`
    : '';

const { servers, clients } = closedAfterEach();

async function session(os: OsName): Promise<{
  result: SessionResult;
  replaceStatus: string | undefined;
  tree: DmTree;
  changes: boolean[];
}> {
  const fleet = new FleetLikeServer(USER, SECRET, setPolicy);
  const { url, server } = await serveFleetHttp(fleet);
  servers.push(server);
  const { tree, changes } = enrolledDevice(os, url);
  const cl = new OmaDmHttpClient({ clock: new VirtualClock({ start: T0 }) });
  clients.push(cl);
  const req: SessionRequest = {
    deviceId: `dev-${os}`,
    trigger: 'poll',
    devId: defaultIdentity(`dev-${os}`, os).devId,
    readPush,
    account: readAccount(tree, 'Fleet'),
    identity: null,
    tree,
  };
  let result: SessionResult | null = null;
  cl.startSession(req, (r) => (result = r));
  await until(() => result !== null, 'the session to end');
  const replaceStatus = fleet.seen
    .flatMap((s) => s.commands)
    .find((c): c is StatusCommand => c.kind === 'Status' && c.cmd === 'Replace')?.data;
  return { result: result as unknown as SessionResult, replaceStatus, tree, changes };
}

describe('a server sets Policy DisallowCloudNotification by SyncML Replace', () => {
  it('on 22H2: Status 200, the device is told, the tree reads 1', async () => {
    const { result, replaceStatus, tree, changes } = await session('22H2');
    expect(result).toEqual({ ok: true });
    expect(replaceStatus).toBe('200');
    expect(changes).toEqual([true]);
    expect(tree.read(DISALLOW_CLOUD_NOTIFICATION)).toBe('1');
  });

  it('on 1709 (before 1803): Status 404, nothing changes', async () => {
    const { result, replaceStatus, changes } = await session('1709');
    expect(result).toEqual({ ok: true });
    expect(replaceStatus).toBe('404');
    expect(changes).toEqual([]);
  });
});
