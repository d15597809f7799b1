/**
 * The reference MDM server's protocol logic on SyncML message objects (no HTTP): what a small,
 * correct MDM server does with push (docs/model.md, "Reference MDM server"). Sources:
 * dmclient-omadm.md §2 (session shape [MDM 2.2]) and §4 (Microsoft's push guidance [PUSH],
 * Fleet, ManageEngine).
 */
import { ValidationError } from '../core/errors.js';
import { MemoryStateStore, type RecordTable, type StateStore } from '../core/state/state-store.js';
import { pushNodePath } from '../core/dmclient/push-status.js';
import type {
  Chal,
  NodeCommand,
  ResultsCommand,
  StatusCommand,
  SyncHdr,
  SyncMLMessage,
} from '../core/syncml/message.js';
import { checkChannelHost } from './channel-host.js';
import type { DistributiveOmit, MdmServerEvent } from './mdm-events.js';
import type { PushResult } from './push-result.js';
import {
  DEFAULT_PROVIDER_ID,
  POLL_NODES,
  REFERENCE_POLL,
  type PollSchedule,
} from './server-defaults.js';
import {
  ABORT_ALERT,
  asksUnenrollment,
  hdrStatus,
  NEXT_MESSAGE_ALERT,
  Outgoing,
  SESSION_START_ALERTS,
} from './server-message.js';
import type { AuthDecision, SessionAuth } from './session-auth.js';

export type { MdmServerEvent } from './mdm-events.js';
export { DEFAULT_PROVIDER_ID, REFERENCE_POLL, type PollSchedule } from './server-defaults.js';

/** Options of {@link ReferenceMdm}. */
export interface ReferenceMdmOptions {
  /** The PFN written to `Push/PFN` (the WNS app the server sends as). */
  readonly pfn: string;
  /** The DMClient `{ProviderID}` node (default {@link DEFAULT_PROVIDER_ID}). */
  readonly providerId?: string;
  /** Poll sets written on first contact (default {@link REFERENCE_POLL}). */
  readonly poll?: PollSchedule;
  /**
   * Read `Push/ChannelURI` in every session, as Microsoft recommends (default true). False: read
   * it only while the server holds none, the stale-channel mistake (see {@link ReferenceMdm}).
   */
  readonly rereadChannelUri?: boolean;
  /**
   * Origins (or URLs) of the WNS emulators whose ChannelURIs the server takes, besides WNS's own
   * `https://*.notify.windows.com` (default none). A ChannelURI on any other host is ignored and
   * reported as `mdm.channel-refused`: the server's pushes carry its access token
   * ({@link checkChannelHost}).
   */
  readonly wnsOrigins?: readonly string[];
  /** The clock, epoch ms. */
  readonly now: () => number;
  readonly onEvent?: (event: MdmServerEvent) => void;
  /** Where its records are kept: the table `mdm` of this store (default: in memory). */
  readonly store?: StateStore;
  /**
   * Enrollment mode: every message must authenticate with the device's enrolled credential
   * ({@link SessionAuth}); a device's Alert 1226 unenrolls it. Absent: no authentication, as
   * before enrollment existed.
   */
  readonly auth?: SessionAuth;
}

/** What the server knows of a device. */
export interface MdmDeviceRecord {
  /** `./DevInfo/DevId`: the SyncHdr Source of its messages. */
  readonly deviceId: string;
  /** The ChannelURI the server holds (pushes go there); null when none. */
  readonly channelUri: string | null;
  /** The last `Push/Status` read (0–8), null before the first read. */
  readonly pushStatus: number | null;
  /** The device confirmed (status 2xx) the Add or Replace of `Push/PFN`. */
  readonly pfnSet: boolean;
  /** Sessions started. */
  readonly sessions: number;
  /** When the last session started, epoch ms. */
  readonly lastSessionAt: number;
}

/** A device message the server cannot answer (an empty SyncHdr field). */
export class MdmProtocolError extends ValidationError {}

/** What a command the server sent is for. */
type Purpose = 'pfn-add' | 'pfn-replace' | 'poll' | 'channel-uri' | 'push-status';

interface Sent {
  readonly purpose: Purpose;
  readonly cmd: string;
  readonly target: string;
}

interface Session {
  readonly id: string;
  /** The device's SyncHdr Target: the Source of the server's messages. */
  readonly serverUrl: string;
  /** MsgID of the last server message (1, 2, …). */
  msgId: number;
  /** Commands waiting for their Status or Results, by `MsgRef/CmdRef`. */
  readonly sent: Map<string, Sent>;
  /** The first message of management commands is out. */
  started: boolean;
  /** The device answered 418 to Add PFN: Replace it in the next message. */
  replacePfn: boolean;
}

type DeviceState = { -readonly [K in keyof MdmDeviceRecord]: MdmDeviceRecord[K] };

const isSuccess = (status: string): boolean => /^2\d\d$/.test(status);

/**
 * A reference MDM server's session logic: one device message in, one server message out.
 *
 * Session flow (SessionID from the device; server MsgID 1, 2, …; CmdIDs from 1 per message):
 * 1. Package 1 (Alert 1201 or 1200, Alert 1224, Replace DevInfo) opens a session. The reply
 *    holds a Status for the SyncHdr and for each device command (all 200), then: while the PFN
 *    is not confirmed, Add `Push/PFN` and Replace the six Poll nodes; in every session Get
 *    `Push/ChannelURI` (unless `rereadChannelUri` is off and a URI is held) and `Push/Status`.
 * 2. Package 3 (Statuses and Results) records the ChannelURI (empty Data: none; one that is not
 *    on a WNS host, see {@link ReferenceMdmOptions.wnsOrigins}, is ignored) and Status. A
 *    418 on Add PFN (the node exists, e.g. set by an earlier server) is followed by a Replace
 *    of it; otherwise the server ends the session with only the SyncHdr Status and Final
 *    [MDM 2.2.6.1].
 *
 * Edge cases: a device message without Final is answered with its Statuses and Alert 1222 (send
 * the next message), commands wait for the package's last message. Alert 1223 ends the session.
 * A message with no session-start alert whose SessionID is not the device's open session is
 * answered with Statuses (200) and Final, recording nothing: the device's next session starts
 * afresh. One open session per device (a new package 1 replaces it; ended sessions are
 * dropped), so state is bounded by the number of devices.
 *
 * With `auth` (enrollment mode), the SyncHdr of every message is checked first
 * ({@link SessionAuth}): a message whose credential is not accepted is answered with the SyncHdr
 * Status alone (407 or 401 with a `Chal`, or 403) and nothing else of it is processed; an
 * accepted one proceeds as above. Alert 1226 `com.microsoft:mdm.unenrollment.userrequest`
 * unenrolls the device (`mdm.device-unenrolled`); its later messages are refused (403).
 *
 * `rereadChannelUri: false` models a server that reads the ChannelURI once: it keeps pushing to
 * that URI after the device renewed it, until WNS answers 410. Like any server it then forgets
 * the URI ({@link forgetChannel}) and reads it again in the device's next session.
 */
export class ReferenceMdm {
  private readonly providerId: string;
  private readonly poll: PollSchedule;
  private readonly reread: boolean;
  /** What it knows per device; every change goes through this table. */
  private readonly state: RecordTable<DeviceState>;
  private readonly sessions = new Map<string, Session>();
  /**
   * Server messages already sent in a session that has not opened yet because its package 1 was
   * challenged (by device): the session's MsgIDs go on from there when the resend opens it.
   */
  private readonly challenged = new Map<string, { sessionId: string; msgId: number }>();

  constructor(private readonly options: ReferenceMdmOptions) {
    this.providerId = options.providerId ?? DEFAULT_PROVIDER_ID;
    this.poll = options.poll ?? REFERENCE_POLL;
    this.reread = options.rereadChannelUri ?? true;
    this.state = (options.store ?? new MemoryStateStore()).table<DeviceState>('mdm', (s) => ({
      ...s,
    }));
    const issues: string[] = [];
    if (options.pfn === '') issues.push('pfn: expected a non-empty Package Family Name');
    if (!/^[^/]+$/.test(this.providerId))
      issues.push(`providerId: expected a node name without "/", got "${this.providerId}"`);
    for (const [set] of POLL_NODES) {
      const { intervalMinutes, count } = this.poll[set];
      if (![intervalMinutes, count].every((n) => Number.isInteger(n) && n >= 0))
        issues.push(`poll.${set}: expected whole numbers >= 0`);
    }
    if (issues.length > 0) throw new ValidationError(issues);
  }

  /**
   * Answers one device message. Throws {@link MdmProtocolError} when the SyncHdr lacks Source
   * (DevId), Target, SessionID or MsgID.
   */
  handle(message: SyncMLMessage): SyncMLMessage {
    const { header } = message;
    const missing = (['source', 'target', 'sessionId', 'msgId'] as const).filter((f) => !header[f]);
    if (missing.length > 0)
      throw new MdmProtocolError(missing.map((f) => `SyncHdr ${f}: expected a non-empty value`));

    const deviceId = header.source;
    const auth = this.options.auth?.check(header);
    if (auth && !auth.ok) return this.refuse(header, auth);
    if (this.options.auth && asksUnenrollment(message) && this.options.auth.unenroll(deviceId))
      this.emit({ type: 'mdm.device-unenrolled', deviceId });
    const alerts = message.commands.flatMap((c) => (c.kind === 'Alert' ? [c.data] : []));
    const start = alerts.find((code) => SESSION_START_ALERTS.has(code));
    const session = start === undefined ? this.sessions.get(deviceId) : this.open(header, start);
    const out = new Outgoing();
    this.acknowledge(message, out, auth?.chal);
    if (!session || session.id !== header.sessionId) {
      this.emit({ type: 'mdm.unknown-session', deviceId, sessionId: header.sessionId });
      return this.message(header, 1, out);
    }
    session.msgId++;
    this.record(deviceId, session, message);

    if (alerts.includes(ABORT_ALERT)) return this.end(header, session, out, 'aborted');
    if (!message.final) {
      out.add({
        kind: 'Alert',
        data: NEXT_MESSAGE_ALERT,
        items: [{ target: deviceId, source: session.serverUrl }],
      });
      return this.message(header, session.msgId, out);
    }
    this.addCommands(this.state.get(deviceId) as DeviceState, session, out);
    if (out.commands.some((c) => c.kind !== 'Status'))
      return this.message(header, session.msgId, out);
    return this.end(header, session, out, 'completed');
  }

  /** A copy of what the server knows of `deviceId`. */
  device(deviceId: string): MdmDeviceRecord | undefined {
    const s = this.state.get(deviceId);
    return s && { ...s };
  }

  /** Every device the server has seen, in first-contact order. */
  devices(): MdmDeviceRecord[] {
    return [...this.state.values()].map((s) => ({ ...s }));
  }

  /**
   * Takes back records {@link devices} returned (durable state, after a restart). Sessions that
   * were open are not kept: the device's next package 1 opens a new one.
   */
  load(records: readonly MdmDeviceRecord[]): void {
    this.state.clear();
    this.sessions.clear();
    for (const r of records) this.state.set(r.deviceId, { ...r });
  }

  /** Forgets the held ChannelURI (after WNS said it is gone); the next session reads it again. */
  forgetChannel(deviceId: string): void {
    if (this.state.has(deviceId)) this.state.update(deviceId, (s) => void (s.channelUri = null));
  }

  /**
   * Records a push attempt to `channelUri` (null: none held) and reports it. On `channel-gone`
   * the URI is forgotten, unless a session has read a different one since the push left.
   */
  recordPush(deviceId: string, channelUri: string | null, result: PushResult): void {
    this.emit({ type: 'mdm.push', deviceId, channelUri, result });
    if (result.outcome === 'channel-gone' && this.state.get(deviceId)?.channelUri === channelUri)
      this.forgetChannel(deviceId);
  }

  private open(header: SyncHdr, alert: string): Session {
    const deviceId = header.source;
    const now = this.options.now();
    if (!this.state.has(deviceId))
      this.state.set(deviceId, {
        deviceId,
        channelUri: null,
        pushStatus: null,
        pfnSet: false,
        sessions: 0,
        lastSessionAt: now,
      });
    this.state.update(deviceId, (s) => {
      s.sessions++;
      s.lastSessionAt = now;
    });
    const before = this.challenged.get(deviceId);
    this.challenged.delete(deviceId);
    const session: Session = {
      id: header.sessionId,
      serverUrl: header.target,
      msgId: before?.sessionId === header.sessionId ? before.msgId : 0,
      sent: new Map(),
      started: false,
      replacePfn: false,
    };
    this.sessions.set(deviceId, session);
    this.emit({ type: 'mdm.session', deviceId, sessionId: session.id, alert });
    return session;
  }

  /**
   * A Status for the SyncHdr (with `chal`, a fresh nonce, when given), then one (200) per device
   * command but Status and Results.
   */
  private acknowledge(message: SyncMLMessage, out: Outgoing, chal?: Chal): void {
    const { header } = message;
    const status = (cmdRef: string, cmd: string): Omit<StatusCommand, 'cmdId'> => ({
      kind: 'Status',
      msgRef: header.msgId,
      cmdRef,
      cmd,
      data: '200',
    });
    out.add({ ...hdrStatus(header, '200', chal) });
    for (const c of message.commands)
      if (c.kind !== 'Status' && c.kind !== 'Results') out.add(status(c.cmdId, c.kind));
  }

  /** Takes the device's Statuses and Results to the server's commands. */
  private record(deviceId: string, session: Session, message: SyncMLMessage): void {
    const s = this.state.get(deviceId) as DeviceState;
    const read = this.state.update(deviceId, (record) => {
      let results = false;
      for (const c of message.commands) {
        if (c.kind === 'Status') this.onStatus(record, session, c);
        else if (c.kind === 'Results') results = this.onResults(record, session, c) || results;
      }
      return results;
    });
    if (read)
      this.emit({
        type: 'mdm.channel-read',
        deviceId,
        channelUri: s.channelUri,
        pushStatus: s.pushStatus,
      });
  }

  private onStatus(s: DeviceState, session: Session, status: StatusCommand): void {
    const key = `${status.msgRef}/${status.cmdRef}`;
    const sent = session.sent.get(key);
    if (!sent) return;
    const ok = isSuccess(status.data);
    // A successful Get stays pending until its Results.
    if (!ok || (sent.purpose !== 'channel-uri' && sent.purpose !== 'push-status'))
      session.sent.delete(key);
    if (ok && (sent.purpose === 'pfn-add' || sent.purpose === 'pfn-replace')) {
      if (!s.pfnSet) {
        s.pfnSet = true;
        const via = sent.purpose === 'pfn-add' ? 'Add' : 'Replace';
        this.emit({ type: 'mdm.pfn-set', deviceId: s.deviceId, pfn: this.options.pfn, via });
      }
    } else if (sent.purpose === 'pfn-add' && status.data === '418') {
      session.replacePfn = true;
    } else if (!ok) {
      const { cmd, target } = sent;
      this.emit({
        type: 'mdm.command-failed',
        deviceId: s.deviceId,
        sessionId: session.id,
        cmd,
        target,
        status: status.data,
      });
    }
  }

  /** Records a Get's Results; true when it was one of the Push nodes. */
  private onResults(s: DeviceState, session: Session, results: ResultsCommand): boolean {
    const key = `${results.msgRef}/${results.cmdRef}`;
    const sent = session.sent.get(key);
    if (!sent) return false;
    session.sent.delete(key);
    const data = results.items[0]?.data?.trim() ?? '';
    if (sent.purpose === 'channel-uri') this.takeChannelUri(s, data);
    else if (sent.purpose === 'push-status')
      s.pushStatus = /^\d+$/.test(data) ? Number(data) : null;
    else return false;
    return true;
  }

  /**
   * Holds the ChannelURI a device reported (empty: none), unless it is not on a WNS host: then
   * it is ignored, the held one kept, and `mdm.channel-refused` reported.
   */
  private takeChannelUri(s: DeviceState, data: string): void {
    const check = data === '' ? null : checkChannelHost(data, this.options.wnsOrigins ?? []);
    if (!check || check.ok) s.channelUri = data === '' ? null : data;
    else {
      const { origin, reason } = check;
      this.emit({ type: 'mdm.channel-refused', deviceId: s.deviceId, origin, reason });
    }
  }

  /** The session's next management commands, if any. */
  private addCommands(s: DeviceState, session: Session, out: Outgoing): void {
    const pfnPath = pushNodePath(this.providerId, 'PFN');
    const send = (purpose: Purpose, command: Omit<NodeCommand, 'cmdId'>): void => {
      const cmdId = out.add(command);
      const target = command.items[0]?.target ?? '';
      session.sent.set(`${session.msgId}/${cmdId}`, { purpose, cmd: command.kind, target });
    };
    const chr = { format: 'chr', type: 'text/plain' };
    if (session.started) {
      if (session.replacePfn) {
        session.replacePfn = false;
        send('pfn-replace', {
          kind: 'Replace',
          items: [{ target: pfnPath, meta: chr, data: this.options.pfn }],
        });
      }
      return;
    }
    session.started = true;
    if (!s.pfnSet) {
      send('pfn-add', {
        kind: 'Add',
        items: [{ target: pfnPath, meta: chr, data: this.options.pfn }],
      });
      const pollPath = `./Vendor/MSFT/DMClient/Provider/${this.providerId}/Poll`;
      for (const [set, intervalNode, countNode] of POLL_NODES) {
        const { intervalMinutes, count } = this.poll[set];
        for (const [node, value] of [
          [intervalNode, intervalMinutes],
          [countNode, count],
        ] as const)
          send('poll', {
            kind: 'Replace',
            items: [
              { target: `${pollPath}/${node}`, meta: { format: 'int' }, data: String(value) },
            ],
          });
      }
    }
    if (this.reread || s.channelUri === null)
      send('channel-uri', {
        kind: 'Get',
        items: [{ target: pushNodePath(this.providerId, 'ChannelURI') }],
      });
    send('push-status', {
      kind: 'Get',
      items: [{ target: pushNodePath(this.providerId, 'Status') }],
    });
  }

  /**
   * Answers a message whose credential was not accepted with the SyncHdr Status alone (401/407
   * with a `Chal`, or 403), as Fleet does; nothing else of the message is processed. A refused
   * device's open session is dropped.
   */
  private refuse(header: SyncHdr, decision: Exclude<AuthDecision, { ok: true }>): SyncMLMessage {
    const deviceId = header.source;
    const { sessionId } = header;
    const session = this.sessions.get(deviceId);
    const msgId = session && session.id === sessionId ? ++session.msgId : 1;
    const out = new Outgoing();
    if (decision.status === '403') {
      this.sessions.delete(deviceId);
      out.add(hdrStatus(header, '403'));
      this.emit({ type: 'mdm.auth-refused', deviceId, sessionId, reason: decision.reason });
    } else {
      const { status, reason, chal } = decision;
      if (!(session && session.id === sessionId))
        this.challenged.set(deviceId, { sessionId, msgId });
      out.add(hdrStatus(header, status, chal));
      this.emit({ type: 'mdm.auth-challenged', deviceId, sessionId, status, reason });
    }
    return this.message(header, msgId, out);
  }

  private end(
    header: SyncHdr,
    session: Session,
    out: Outgoing,
    reason: 'completed' | 'aborted',
  ): SyncMLMessage {
    this.sessions.delete(header.source);
    this.emit({
      type: 'mdm.session-ended',
      deviceId: header.source,
      sessionId: session.id,
      reason,
    });
    return this.message(header, session.msgId, out);
  }

  /** A server message answering `device`'s header. Every server message is the last of its package. */
  private message(device: SyncHdr, msgId: number, out: Outgoing): SyncMLMessage {
    return {
      header: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId: device.sessionId,
        msgId: String(msgId),
        target: device.source,
        source: device.target,
      },
      commands: out.commands,
      final: true,
    };
  }

  private emit(event: DistributiveOmit<MdmServerEvent, 'time'>): void {
    this.options.onEvent?.({ ...event, time: this.options.now() });
  }
}
