/**
 * Pieces of the reference server's SyncML messages: the alert codes it acts on [MDM 2.2.7.2],
 * the message being built (CmdIDs), and the SyncHdr Status.
 */
import type {
  Chal,
  Command,
  StatusCommand,
  SyncHdr,
  SyncMLMessage,
} from '../core/syncml/message.js';
import type { DistributiveOmit } from './mdm-events.js';

/** Package 1 alerts: server-initiated (1200) and client-initiated (1201) sessions. */
export const SESSION_START_ALERTS: ReadonlySet<string> = new Set(['1200', '1201']);
/** Send the next message of the package. */
export const NEXT_MESSAGE_ALERT = '1222';
/** The device aborts the session. */
export const ABORT_ALERT = '1223';
/** Generic alert; with {@link UNENROLL_REQUEST} as Meta Type, the user unenrolled the device. */
const GENERIC_ALERT = '1226';
/** Fleet `server/mdm/microsoft/syncml/syncml.go`, `AlertUserUnenrollmentRequest`. */
const UNENROLL_REQUEST = 'com.microsoft:mdm.unenrollment.userrequest';

/** The message carries the user's unenrollment request (Alert 1226 of that type). */
export const asksUnenrollment = (message: SyncMLMessage): boolean =>
  message.commands.some(
    (c) =>
      c.kind === 'Alert' &&
      c.data === GENERIC_ALERT &&
      c.items.some((i) => i.meta?.type === UNENROLL_REQUEST),
  );

/** A server message being built: CmdIDs count from 1 within it. */
export class Outgoing {
  readonly commands: Command[] = [];

  /** Appends `command` with the next CmdID, and returns that CmdID. */
  add(command: DistributiveOmit<Command, 'cmdId'>): string {
    const cmdId = String(this.commands.length + 1);
    this.commands.push({ ...command, cmdId });
    return cmdId;
  }
}

/** The Status of a device message's SyncHdr: `data` (200, 401…), with `chal` when given. */
export function hdrStatus(
  header: SyncHdr,
  data: string,
  chal?: Chal,
): Omit<StatusCommand, 'cmdId'> {
  return {
    kind: 'Status',
    msgRef: header.msgId,
    cmdRef: '0',
    cmd: 'SyncHdr',
    targetRef: header.target,
    sourceRef: header.source,
    ...(chal ? { chal } : {}),
    data,
  };
}
