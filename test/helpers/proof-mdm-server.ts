/**
 * A small SyncML DM 1.2 server that makes one mistake per configuration, to prove that each check
 * of `dmpush check` fails on the mistake it names and passes the rest. It is written apart from the
 * reference server (src/mdm-server/) and shares only the project's SyncML codec.
 *
 * It manages devices that are not enrolled (their DMClient `{ProviderID}` is preset, e.g. `PROOF`):
 * - It answers every device message with a Status for its SyncHdr and for each command but Status
 *   and Results (200), CmdIDs from 1, Final. To a session's package 1 it adds, while the device has
 *   not confirmed its PFN, an Add of `Push/PFN` (a Replace when the device answers 418) and a
 *   Replace of the six Poll nodes (3 min × 5, 15 min × 8, then every 8 h: the mapping of Intune's
 *   "every 3 minutes for 15 minutes, every 15 minutes for 2 hours, then around every 8 hours",
 *   https://learn.microsoft.com/mem/intune/configuration/device-profile-troubleshoot); then a Get
 *   of `Push/ChannelURI` and of `Push/Status`. To the device's answer it
 *   sends the Statuses alone, which ends the session ([MS-MDM] 2.2.6.1: the client MUST NOT send a
 *   message holding only a successful SyncHdr Status).
 * - It holds the ChannelURI each device (SyncHdr Source) last reported; after a 404 or 410 for a
 *   URI it forgets it and never pushes to that URI again.
 * - `POST <triggerUrl>/<id>` pushes to the device's ChannelURI (`proof-wns-sender.ts`): 202,
 *   409 when no URI is held, 404 for a device never seen. `<id>` is the DevId (SyncHdr Source).
 *
 * The mistakes of this side: `read-channel-once` (Get ChannelURI only while none is held),
 * `ignore-410` (keeps the URI after a 404 or 410), `one-minute-poll` (first set: every minute,
 * count 0 = forever) and `malformed-syncml` (the Statuses of the device's commands name a wrong
 * MsgRef, and the Get of `Push/Status` reuses the CmdID before it: a lenient device still runs it).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SystemClock } from '../../src/adapters/clock/system-clock.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import {
  SYNCML_CONTENT_TYPE,
  commandName,
  type Command,
  type Item,
  type SyncMLMessage,
} from '../../src/core/syncml/message.js';
import type { Clock } from '../../src/core/time/clock.js';
import {
  ProofWnsSender,
  type ProofMistake,
  type ProofPush,
  type WnsCredentials,
} from './proof-wns-sender.js';

export type { ProofMistake, ProofPush, WnsCredentials } from './proof-wns-sender.js';

/** Every configuration, the good one first. */
export const PROOF_MISTAKES: readonly ProofMistake[] = [
  'none',
  'read-channel-once',
  'ignore-410',
  'ignore-retry-after',
  'never-refresh-token',
  'no-cache',
  'one-minute-poll',
  'malformed-syncml',
];

export interface ProofServerOptions {
  /** The DMClient `{ProviderID}` the devices are preset with. */
  readonly providerId: string;
  /** The PFN written to `Push/PFN` (the WNS app of {@link wns}). */
  readonly pfn: string;
  readonly wns: WnsCredentials;
  /** Default `none`. */
  readonly mistake?: ProofMistake;
  /** The clock of `Retry-After` holds and token expiry; default real time. */
  readonly clock?: Clock;
}

export interface ProofServer {
  /** Where devices post SyncML. */
  readonly url: string;
  /** `POST <triggerUrl>/<id>` pushes to that device (`<id>`: the DevId). */
  readonly triggerUrl: string;
  /** Every push sent, in order. */
  readonly pushes: readonly ProofPush[];
  /** The ChannelURI held per DevId. */
  readonly channels: ReadonlyMap<string, string>;
  /** Token requests made so far. */
  tokenRequests(): number;
  close(): Promise<void>;
}

/** The first poll set of each configuration, then 15 min × 8 and every 8 h (minutes, counts). */
const POLL = (mistake: ProofMistake): readonly (readonly [string, number])[] => [
  ['IntervalForFirstSetOfRetries', mistake === 'one-minute-poll' ? 1 : 3],
  ['NumberOfFirstRetries', mistake === 'one-minute-poll' ? 0 : 5],
  ['IntervalForSecondSetOfRetries', 15],
  ['NumberOfSecondRetries', 8],
  ['IntervalForRemainingScheduledRetries', 480],
  ['NumberOfRemainingScheduledRetries', 0],
];

interface Device {
  channelUri: string | null;
  pfnSet: boolean;
  session: { readonly id: string; msgId: number; replacePfn: boolean } | null;
}

/** A command before it gets its CmdID. */
type NewCommand = WithoutCmdId<Command>;
type WithoutCmdId<C> = C extends unknown ? Omit<C, 'cmdId'> : never;

/** The session logic: one device message in, one server message out. */
class ProofMdm {
  readonly devices = new Map<string, Device>();
  /** URIs WNS answered 404 or 410 for. */
  private readonly gone = new Set<string>();

  constructor(private readonly o: Required<Omit<ProofServerOptions, 'clock' | 'wns'>>) {}

  private path(leaf: string): string {
    return `./Vendor/MSFT/DMClient/Provider/${this.o.providerId}/${leaf}`;
  }

  handle(message: SyncMLMessage): SyncMLMessage {
    const { header } = message;
    const opens = message.commands.some(
      (c) => c.kind === 'Alert' && (c.data === '1200' || c.data === '1201'),
    );
    const device = this.devices.get(header.source) ?? newDevice();
    this.devices.set(header.source, device);
    if (opens) device.session = { id: header.sessionId, msgId: 0, replacePfn: false };
    const out = this.acknowledge(message);
    const session = device.session?.id === header.sessionId ? device.session : null;
    if (!session) return this.reply(message, 1, out);
    session.msgId++;
    this.read(device, message);
    if (!message.final) out.push({ kind: 'Alert', data: '1222', items: [] });
    else if (opens) out.push(...this.manage(device));
    else if (session.replacePfn) {
      session.replacePfn = false;
      out.push(this.pfnCommand('Replace'));
    }
    return this.reply(message, session.msgId, out);
  }

  /** Forgets `channelUri` after WNS said 404 or 410 (unless the mistake is `ignore-410`). */
  channelGone(channelUri: string): void {
    if (this.o.mistake === 'ignore-410') return;
    this.gone.add(channelUri);
    for (const device of this.devices.values())
      if (device.channelUri === channelUri) device.channelUri = null;
  }

  /** Statuses for the SyncHdr and for each device command but Status and Results. */
  private acknowledge(message: SyncMLMessage): NewCommand[] {
    const { header } = message;
    const wrong = this.o.mistake === 'malformed-syncml';
    const out: NewCommand[] = [
      {
        kind: 'Status',
        msgRef: header.msgId,
        cmdRef: '0',
        cmd: 'SyncHdr',
        targetRef: header.target,
        sourceRef: header.source,
        data: '200',
      },
    ];
    for (const c of message.commands)
      if (c.kind !== 'Status' && c.kind !== 'Results')
        out.push({
          kind: 'Status',
          msgRef: wrong ? String(Number(header.msgId) + 1) : header.msgId,
          cmdRef: c.cmdId,
          cmd: commandName(c),
          data: '200',
        });
    return out;
  }

  /** The device's Statuses to the PFN and its Results of the ChannelURI. */
  private read(device: Device, message: SyncMLMessage): void {
    for (const c of message.commands) {
      if (c.kind === 'Status' && c.targetRef === this.path('Push/PFN')) {
        if (/^2\d\d$/.test(c.data)) device.pfnSet = true;
        else if (c.cmd === 'Add' && c.data === '418' && device.session)
          device.session.replacePfn = true;
      }
      if (c.kind !== 'Results') continue;
      for (const item of c.items)
        if (item.source === this.path('Push/ChannelURI')) {
          const uri = item.data?.trim() ?? '';
          device.channelUri = uri === '' || this.gone.has(uri) ? null : uri;
        }
    }
  }

  /** The commands of a session's first answer. */
  private manage(device: Device): NewCommand[] {
    const out: NewCommand[] = [];
    if (!device.pfnSet) {
      out.push(this.pfnCommand('Add'));
      for (const [node, value] of POLL(this.o.mistake))
        out.push(
          replace({
            target: this.path(`Poll/${node}`),
            meta: { format: 'int' },
            data: String(value),
          }),
        );
    }
    if (this.o.mistake !== 'read-channel-once' || device.channelUri === null)
      out.push({ kind: 'Get', items: [{ target: this.path('Push/ChannelURI') }] });
    out.push({ kind: 'Get', items: [{ target: this.path('Push/Status') }] });
    return out;
  }

  private pfnCommand(kind: 'Add' | 'Replace'): NewCommand {
    const item = { target: this.path('Push/PFN'), meta: { format: 'chr' }, data: this.o.pfn };
    return { kind, items: [item] };
  }

  /** The server message: CmdIDs from 1 (with `malformed-syncml`, the last one repeated). */
  private reply(message: SyncMLMessage, msgId: number, out: readonly NewCommand[]): SyncMLMessage {
    const { header } = message;
    const dup =
      this.o.mistake === 'malformed-syncml' && out.length > 1 && out.at(-1)?.kind === 'Get';
    const commands: Command[] = out.map((c, i) => ({
      ...c,
      cmdId: String(dup && i === out.length - 1 ? i : i + 1),
    }));
    return {
      header: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId: header.sessionId,
        msgId: String(msgId),
        target: header.source,
        source: header.target,
      },
      commands,
      final: true,
    };
  }
}

const newDevice = (): Device => ({ channelUri: null, pfnSet: false, session: null });

function replace(item: Item): NewCommand {
  return { kind: 'Replace', items: [item] };
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a proof server on 127.0.0.1 (any free port). */
export async function startProofServer(options: ProofServerOptions): Promise<ProofServer> {
  const mistake = options.mistake ?? 'none';
  const ownClock = options.clock ? null : new SystemClock();
  const clock = options.clock ?? (ownClock as SystemClock);
  const mdm = new ProofMdm({ providerId: options.providerId, pfn: options.pfn, mistake });
  const sender = new ProofWnsSender({
    wns: options.wns,
    clock,
    mistake,
    current: (devId) => mdm.devices.get(devId)?.channelUri ?? null,
    onResult: (push) => {
      if (push.status === 404 || push.status === 410) mdm.channelGone(push.channelUri);
    },
  });
  const trigger = (devId: string): number => {
    const device = mdm.devices.get(devId);
    if (!device) return 404;
    if (device.channelUri === null) return 409;
    sender.send(devId, device.channelUri);
    return 202;
  };
  const listener = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'POST') return void res.writeHead(405).end();
    if (path.startsWith('/trigger/'))
      return void res.writeHead(trigger(decodeURIComponent(path.slice(9)))).end();
    let answer: string;
    try {
      answer = serializeSyncML(mdm.handle(parseSyncML(body)));
    } catch (error) {
      return void res.writeHead(400).end(String(error));
    }
    res.writeHead(200, { 'content-type': SYNCML_CONTENT_TYPE }).end(answer);
  };
  const server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/ManagementServer/MDM.svc`,
    triggerUrl: `${base}/trigger`,
    pushes: sender.pushes,
    get channels() {
      const held = new Map<string, string>();
      for (const [id, d] of mdm.devices) if (d.channelUri !== null) held.set(id, d.channelUri);
      return held;
    },
    tokenRequests: () => sender.tokenRequests,
    async close() {
      await sender.close();
      ownClock?.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
