/**
 * A Windows tree behind fake device bindings, and server messages for {@link ClientSession} unit
 * tests (per-element errors, protocol version).
 */
import { windowsTree, type DeviceIdentity } from '../../src/core/dm/windows-tree.js';
import type { SessionStep } from '../../src/core/dm/client-session.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type { DmTree } from '../../src/core/dm/dm-tree.js';
import type { Command, StatusCommand, SyncMLMessage } from '../../src/core/syncml/message.js';

export const SERVER = 'https://mdm.example/omadm';

/** A tree with provider `MDMSRV`, its Push and Poll nodes bound to nothing. */
export function fakeTree(identity: DeviceIdentity): DmTree {
  return windowsTree(identity, 'MDMSRV', {
    now: () => 0,
    readPush: () => ({ pfn: null, channelUri: null, status: PushStatus.NoChannelUri }),
    setPfn: () => undefined,
    pollConfig: () => DEFAULT_POLL,
    setPoll: () => undefined,
  });
}

/** A server message answering the device's message `msgRef`, with its SyncHdr Status 200. */
export function serverMessage(
  sessionId: string,
  devId: string,
  msgId: number,
  commands: readonly Command[],
  final = true,
): SyncMLMessage {
  const hdrStatus: StatusCommand = {
    kind: 'Status',
    cmdId: '1',
    msgRef: String(msgId),
    cmdRef: '0',
    cmd: 'SyncHdr',
    data: '200',
  };
  return {
    header: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId,
      msgId: String(msgId),
      target: devId,
      source: SERVER,
    },
    commands: [hdrStatus, ...commands],
    final,
  };
}

export function sent(step: SessionStep): SyncMLMessage {
  if (step.kind !== 'send') throw new Error(`expected send, got ${JSON.stringify(step)}`);
  return step.message;
}

/** `[Cmd, CmdRef, code]` of each Status but the SyncHdr's. */
export function statusTriples(message: SyncMLMessage): string[][] {
  return message.commands
    .filter((c): c is StatusCommand => c.kind === 'Status' && c.cmd !== 'SyncHdr')
    .map((s) => [s.cmd, s.cmdRef, s.data]);
}
