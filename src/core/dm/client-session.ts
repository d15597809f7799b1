/**
 * The device side of one OMA-DM management session, as a pure state machine over SyncML message
 * objects ([dmc] §2): {@link ClientSession.start} gives package 1, and each server message given to
 * {@link ClientSession.receive} gives the next step (a message to post, the end, or a failure).
 *
 * Choices, where the reference leaves them open:
 * - Package 1 (`client-session-package1.ts`) numbers its commands from CmdID 1 (Alert 1201 is 1,
 *   the 1224 LoginStatus alert 2, the DevInfo Replace 3); the reference's example starts at 2.
 * - A server message is refused (the session fails) when its VerDTD is not `1.2`, its VerProto not
 *   `DM/1.2`, its SessionID not the session's, its MsgID not a decimal greater than the previous
 *   one, its Target not the device's DevId, or when it has no Status for the device's last SyncHdr
 *   (CmdRef 0, MsgRef = the device's last MsgID) — the server MUST send one [MDM 2.2.6.1].
 * - That Status must be 200 or 212; any other code fails the session. With a DM account, 401 and
 *   407 are challenges the device answers, Cred goes on every message and nonces are kept
 *   (`client-session-auth.ts`); without one, 401, 403 and 407 fail as `unauthorized (<code>)`.
 * - A challenge is answered with a new message (the next MsgID: [MS-MDM] 2.2.3.6, MsgID is unique
 *   and increasing within the session) holding a Status for the challenging message's SyncHdr,
 *   then the content of the device's last message again, with new CmdIDs and a fresh Cred (OMA DM
 *   Protocol 1.2 §2.4: "the client MUST revert to pkg 1 and MUST resend the Alert and DevInfo
 *   along with the credentials", and the message "MUST contain a Status for the SyncHdr"). The
 *   other commands of a challenging message are not run (the server MUST NOT send any).
 * - Statuses and Results from the server are read, not answered. Alert 1223 fails the session
 *   (`server aborted`); 1222 is answered 200; other alerts are 406 (not modelled). Node commands,
 *   Atomic and Sequence run on the tree, one Status per Item (see `dm-tree.ts`), a Results after the
 *   statuses of each Get with successful Items, and a container's Status before its commands'.
 *   An element that is not a command the device runs (`Copy`, an unknown name) gets its own 400
 *   (`Cmd` its name, `CmdRef` its CmdID) and the message's other commands run ([OMA]).
 * - The session's protocol version is the provider's `SyncApplicationVersion` when it starts
 *   (`client-session-version.ts`); from 2.0 its SessionID is 2 bytes in hexadecimal
 *   (`sync-version.ts`).
 * - A final message with nothing to answer ends the session (`done`): the client MUST NOT send a
 *   message holding only a successful SyncHdr Status [MDM 2.2.6.1]. A message without Final is
 *   answered with the statuses plus Alert 1222 (next message). Every device message carries Final.
 */
import {
  commandName,
  type AlertCommand,
  type Command,
  type ResultsCommand,
  type StatusCommand,
  type SyncMLMessage,
} from '../syncml/message.js';
import { SessionAuth } from './client-session-auth.js';
import { package1Commands } from './client-session-package1.js';
import { sessionSyncVersion } from './client-session-version.js';
import { syncVersionNumber, wireSessionId } from './sync-version.js';
import type { DmAccount } from './dm-account.js';
import { DmStatus, type CommandOutcome, type DmTree } from './dm-tree.js';

/** Options of one session. */
export interface ClientSessionOptions {
  /**
   * The session's number, a decimal string (see {@link sessionIdFor}). The SessionID on the wire
   * is this number under protocol 1.x and its 2 bytes in hexadecimal under 2.0
   * ({@link ClientSession.sessionId}, `sync-version.ts`).
   */
  readonly sessionId: string;
  /** SyncHdr Target of the device's messages. */
  readonly serverUrl: string;
  /** SyncHdr Source of the device's messages (`./DevInfo/DevId`). */
  readonly devId: string;
  readonly tree: DmTree;
  /** The package 1 alert: 1201 client-initiated (default) or 1200 server-initiated. */
  readonly alertCode?: '1201' | '1200';
  /** Data of the 1224 `com.microsoft/MDM/LoginStatus` alert; default `user`. */
  readonly loginStatus?: 'user' | 'others' | 'none';
  /** More server messages than this in one session fail it; default 32. */
  readonly maxMessages?: number;
  /**
   * The DM account the session authenticates with (its client credential and nonce); null or
   * absent: no Cred, and 401/403/407 fail the session as `unauthorized (<code>)`.
   */
  readonly account?: DmAccount | null;
  /**
   * Adds the user-unenrollment generic alert (1226, {@link UNENROLL_ALERT_TYPE}) to package 1
   * (Learn, "Disconnecting from the management infrastructure (unenrollment)").
   */
  readonly unenroll?: boolean;
}

/** What the device does after a server message. */
export type SessionStep =
  | { readonly kind: 'send'; readonly message: SyncMLMessage }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly reason: string };

export { LOGIN_STATUS_TYPE, UNENROLL_ALERT_TYPE } from './client-session-package1.js';

const VER_DTD = '1.2';
const VER_PROTO = 'DM/1.2';

/**
 * The SessionID of the device's `counter`-th session (from 0): decimal `1` to `9999`, wrapping, so
 * it never exceeds 4 bytes ([dmc] §2: "opaque, at most 4 bytes … Decimal").
 */
export function sessionIdFor(counter: number): string {
  if (!Number.isSafeInteger(counter) || counter < 0)
    throw new RangeError(`sessionIdFor: ${counter} is not a non-negative integer`);
  return String((counter % 9999) + 1);
}

/**
 * One management session, device side. Call {@link start} once, post its message, then give each
 * server reply to {@link receive} until it returns `done` or `failed`.
 *
 * @example
 * ```ts
 * const session = new ClientSession({ sessionId: '1', serverUrl, devId, tree });
 * let step: SessionStep = { kind: 'send', message: session.start() };
 * while (step.kind === 'send') step = session.receive(await post(step.message));
 * ```
 */
export class ClientSession {
  private readonly options: ClientSessionOptions;
  private readonly maxMessages: number;
  private state: 'new' | 'open' | 'ended' = 'new';
  /** The last CmdID used in a device message. */
  private cmdId = 0;
  /** The MsgID of the device's last message. */
  private msgId = 0;
  /** The MsgID of the server's last message. */
  private serverMsgId = 0;
  private received = 0;
  private readonly auth: SessionAuth;
  /** The commands of the device's last message, without its SyncHdr Status (what a resend sends). */
  private content: readonly Command[] = [];
  /**
   * The DM session protocol version, the provider's `SyncApplicationVersion` when the session was
   * made: a change during the session counts from the next one.
   */
  readonly protocolVersion: string;
  /** The SessionID the session writes and expects back. */
  readonly sessionId: string;

  constructor(options: ClientSessionOptions) {
    if (!/^\d+$/.test(options.sessionId))
      throw new Error(`ClientSession: SessionID '${options.sessionId}' is not a decimal string`);
    const maxMessages = options.maxMessages ?? 32;
    if (!Number.isSafeInteger(maxMessages) || maxMessages < 1)
      throw new Error(`ClientSession: maxMessages ${maxMessages} is not a positive integer`);
    this.options = options;
    this.maxMessages = maxMessages;
    this.auth = new SessionAuth(options.account ?? null);
    this.protocolVersion = sessionSyncVersion(options.tree, options.account?.serverId);
    this.sessionId =
      syncVersionNumber(this.protocolVersion) >= 2
        ? wireSessionId(Number(options.sessionId), this.protocolVersion)
        : options.sessionId;
  }

  /**
   * Package 1: Alert 1201 (or 1200), Alert 1224 LoginStatus, with `unenroll` the 1226 unenrollment
   * alert, a Replace of the DevInfo values read from the tree, Final. Throws if called twice.
   */
  start(): SyncMLMessage {
    if (this.state !== 'new')
      throw new Error('ClientSession.start: the session has already started');
    this.state = 'open';
    return this.message(package1Commands(this.options, () => this.nextCmdId()));
  }

  /**
   * Handles one server message: runs its commands on the tree and returns the reply to post, or
   * the end of the session. Never throws on a message's content; throws only when called before
   * {@link start} or after the session ended.
   */
  receive(server: SyncMLMessage): SessionStep {
    if (this.state === 'new') throw new Error('ClientSession.receive: call start() first');
    if (this.state === 'ended') throw new Error('ClientSession.receive: the session has ended');
    const step = this.handle(server);
    if (step.kind !== 'send') this.state = 'ended';
    return step;
  }

  private handle(server: SyncMLMessage): SessionStep {
    this.received++;
    if (this.received > this.maxMessages)
      return failed(`too many messages: the server sent more than ${this.maxMessages}`);
    const checked = this.checkHeader(server);
    if (typeof checked === 'string') return failed(checked);
    this.serverMsgId = Number(server.header.msgId);
    const verdict = this.auth.onHeaderStatus(checked);
    switch (verdict.kind) {
      case 'failed':
        return failed(verdict.reason);
      case 'other':
        return failed(`the server answered the device's SyncHdr with status ${verdict.code}`);
      case 'resend':
        return { kind: 'send', message: this.resend(server) };
      case 'accepted':
        return this.answer(server);
    }
  }

  /** Runs a server message's commands and answers them, or ends the session. */
  private answer(server: SyncMLMessage): SessionStep {
    const { header } = server;
    const answerable = server.commands.filter(
      (c): c is Exclude<Command, StatusCommand | ResultsCommand> =>
        c.kind !== 'Status' && c.kind !== 'Results',
    );
    if (answerable.length === 0 && server.final) return { kind: 'done' };

    const msgRef = header.msgId;
    const reply: Command[] = [this.headerStatus(server)];
    for (const command of answerable) {
      if (command.kind === 'Alert') {
        if (command.data === '1223') return failed('server aborted the session (Alert 1223)');
        reply.push(this.status(msgRef, command, alertCode(command)));
      } else {
        this.emit(this.options.tree.run(command), msgRef, reply);
      }
    }
    if (!server.final)
      reply.push({ kind: 'Alert', cmdId: this.nextCmdId(), data: '1222', items: [] });
    return { kind: 'send', message: this.message(reply) };
  }

  /** The last message's content again, after a Status for the challenging message's SyncHdr. */
  private resend(server: SyncMLMessage): SyncMLMessage {
    const status = this.headerStatus(server);
    return this.message([status, ...this.content.map((c) => ({ ...c, cmdId: this.nextCmdId() }))]);
  }

  /** The device's Status (200) for a server message's SyncHdr. */
  private headerStatus(server: SyncMLMessage): StatusCommand {
    const { header } = server;
    return {
      kind: 'Status',
      cmdId: this.nextCmdId(),
      msgRef: header.msgId,
      cmdRef: '0',
      cmd: 'SyncHdr',
      targetRef: header.target,
      sourceRef: header.source,
      data: String(DmStatus.Ok),
    };
  }

  /** The server's Status for the device's last SyncHdr, or why the message cannot be accepted. */
  private checkHeader(server: SyncMLMessage): StatusCommand | string {
    const { header } = server;
    if (header.verDTD !== VER_DTD)
      return `unsupported VerDTD '${header.verDTD}' (expected ${VER_DTD})`;
    if (header.verProto !== VER_PROTO)
      return `unsupported VerProto '${header.verProto}' (expected ${VER_PROTO})`;
    if (header.sessionId !== this.sessionId)
      return `SessionID '${header.sessionId}' is not this session's ('${this.sessionId}')`;
    if (!/^[1-9]\d*$/.test(header.msgId))
      return `MsgID '${header.msgId}' is not a positive decimal integer`;
    if (Number(header.msgId) <= this.serverMsgId)
      return `MsgID ${header.msgId} does not increase (previous ${this.serverMsgId})`;
    if (header.target !== this.options.devId)
      return `SyncHdr Target '${header.target}' is not this device ('${this.options.devId}')`;
    const hdrStatus = server.commands.find(
      (c): c is StatusCommand =>
        c.kind === 'Status' && c.cmdRef === '0' && c.msgRef === String(this.msgId),
    );
    if (!hdrStatus)
      return `no Status for the device's SyncHdr (MsgRef ${this.msgId}, CmdRef 0) in server message ${header.msgId}`;
    return hdrStatus;
  }

  /** Appends the Statuses (and Results) of one command and of its inner commands. */
  private emit(outcome: CommandOutcome, msgRef: string, out: Command[]): void {
    const { command } = outcome;
    for (const s of outcome.statuses) out.push(this.status(msgRef, command, s.code, s.target));
    const items = outcome.statuses.flatMap((s) => (s.result ? [s.result] : []));
    if (items.length > 0) {
      const results: ResultsCommand = {
        kind: 'Results',
        cmdId: this.nextCmdId(),
        msgRef,
        cmdRef: command.cmdId,
        items,
      };
      out.push(results);
    }
    for (const child of outcome.children) this.emit(child, msgRef, out);
  }

  private status(msgRef: string, command: Command, code: number, target?: string): StatusCommand {
    const status: StatusCommand = {
      kind: 'Status',
      cmdId: this.nextCmdId(),
      msgRef,
      cmdRef: command.cmdId,
      cmd: commandName(command),
      data: String(code),
    };
    return target === undefined ? status : { ...status, targetRef: target };
  }

  private message(commands: readonly Command[]): SyncMLMessage {
    this.msgId++;
    this.content = commands.filter((c) => !(c.kind === 'Status' && c.cmd === 'SyncHdr'));
    const cred = this.auth.credential();
    return {
      header: {
        verDTD: VER_DTD,
        verProto: VER_PROTO,
        sessionId: this.sessionId,
        msgId: String(this.msgId),
        target: this.options.serverUrl,
        source: this.options.devId,
        ...(cred === undefined ? {} : { cred }),
      },
      commands,
      final: true,
    };
  }

  private nextCmdId(): string {
    this.cmdId++;
    return String(this.cmdId);
  }
}

function failed(reason: string): SessionStep {
  return { kind: 'failed', reason };
}

/** The status of a server Alert other than 1223: 400 without a CmdID, 200 for 1222, else 406. */
function alertCode(alert: AlertCommand): number {
  if (alert.cmdId === '' || alert.cmdId === '0') return DmStatus.BadRequest;
  return alert.data === '1222' ? DmStatus.Ok : DmStatus.UnsupportedFeature;
}
