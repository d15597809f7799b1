/**
 * A SyncML server that authenticates devices as Fleet does (fleetdm/fleet
 * `server/service/microsoft_mdm.go`, `isTrustedRequest` and `processIncomingMDMCmds`): a TLS
 * client certificate whose CN holds the device id is trusted; otherwise a message without Cred,
 * or arriving when the server holds no nonce, gets 407 with a Chal; a digest that is not
 * `MD5(B64(MD5(name:secret)) ":" nonce)` gets 401. As in Fleet, the name is only checked through
 * the digest (the server keeps `MD5(name:secret)`, Fleet's `CredentialsHash`) and
 * {@link FleetLikeServer.setCredentials} replaces it (Fleet's rekey stores the new hash). Unlike
 * Fleet it sends a fresh NextNonce with every answer (200 included), so a device that keeps an old
 * nonce fails. It writes its XML by hand; what it sends after the SyncHdr Status of an accepted
 * message is up to its {@link Responder} (by default a Get of `./DevInfo/Man` for package 1 and
 * nothing after, which ends the session).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseSyncML } from '../../src/core/syncml/codec.js';
import type { Command, StatusCommand, SyncMLMessage } from '../../src/core/syncml/message.js';
import { afterEach } from 'vitest';

/** The path devices post to (`ManagementServiceAddress`). */
export const MDM_PATH = '/ManagementServer/MDM.svc';

/** What the server saw of one device message and answered. */
export interface Seen {
  readonly sessionId: string;
  readonly msgId: string;
  readonly cred: boolean;
  /** The Cred's Data (the base64 digest), when the message carried one. */
  readonly credData?: string;
  /** The nonce the server held when the message arrived (what a digest must be computed on). */
  readonly nonce: string | null;
  readonly code: string;
  /** The TLS client certificate's subject CN, on https. */
  readonly clientCn?: string;
  /** The device's commands (its Statuses, Results, alerts). */
  readonly commands: readonly Command[];
}

/**
 * The commands (XML, CmdIDs from 2) the server sends after its SyncHdr Status in answer to an
 * accepted device message; `''` sends none, which ends the session.
 */
export type Responder = (message: SyncMLMessage) => string;

/** True when the message opens a session (Alert 1201): package 1, or package 1 sent again. */
export function opensSession(message: SyncMLMessage): boolean {
  return message.commands.some((c) => c.kind === 'Alert' && c.data === '1201');
}

/** The default {@link Responder}: a Get of `./DevInfo/Man` for package 1, then nothing. */
const getOnOpen: Responder = (message) =>
  opensSession(message)
    ? '<Get><CmdID>2</CmdID><Item><Target><LocURI>./DevInfo/Man</LocURI></Target></Item></Get>'
    : '';

export class FleetLikeServer {
  readonly seen: Seen[] = [];
  private nonce: string | null = null;
  private credentialsHash: Buffer;

  constructor(
    name: string,
    secret: string,
    private readonly respond: Responder = getOnOpen,
  ) {
    this.credentialsHash = credentialsHash(name, secret);
  }

  /** Forgets the nonce, as Fleet does after five minutes. */
  forgetNonce(): void {
    this.nonce = null;
  }

  /** From now on accepts only digests of `name:secret` (Fleet: the stored hash after a rekey). */
  setCredentials(name: string, secret: string): void {
    this.credentialsHash = credentialsHash(name, secret);
  }

  handle(body: string, url: string, clientCn: string | undefined): string {
    const message = parseSyncML(body);
    const { header } = message;
    const code = this.authenticate(header.source, header.cred, clientCn);
    this.seen.push({
      sessionId: header.sessionId,
      msgId: header.msgId,
      cred: header.cred !== undefined,
      ...(header.cred === undefined ? {} : { credData: header.cred.data }),
      nonce: this.nonce,
      code,
      ...(clientCn === undefined ? {} : { clientCn }),
      commands: message.commands,
    });
    this.nonce = randomUUID();
    const chal =
      '<Chal><Meta><Type xmlns="syncml:metinf">syncml:auth-md5</Type>' +
      '<Format xmlns="syncml:metinf">b64</Format>' +
      `<NextNonce xmlns="syncml:metinf">${Buffer.from(this.nonce).toString('base64')}</NextNonce>` +
      '</Meta></Chal>';
    const commands = code === '200' ? this.respond(message) : '';
    return (
      '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
      `<SessionID>${header.sessionId}</SessionID><MsgID>${header.msgId}</MsgID>` +
      `<Target><LocURI>${header.source}</LocURI></Target><Source><LocURI>${url}</LocURI></Source>` +
      `</SyncHdr><SyncBody><Status><CmdID>1</CmdID><MsgRef>${header.msgId}</MsgRef>` +
      `<CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>${chal}<Data>${code}</Data></Status>${commands}<Final/>` +
      '</SyncBody></SyncML>'
    );
  }

  private authenticate(
    source: string,
    cred: { meta?: { format?: string; type?: string }; data: string } | undefined,
    clientCn: string | undefined,
  ): string {
    if (clientCn?.includes(source) === true) return '200';
    if (cred === undefined || this.nonce === null) return '407';
    if (cred.meta?.format !== 'b64' || cred.meta.type !== 'syncml:auth-md5') return '401';
    const expected = createHash('md5')
      .update(`${this.credentialsHash.toString('base64')}:${this.nonce}`)
      .digest();
    return Buffer.from(cred.data, 'base64').equals(expected) ? '200' : '401';
  }
}

/** `MD5(name ":" secret)`: what Fleet keeps of a device's credentials. */
function credentialsHash(name: string, secret: string): Buffer {
  return createHash('md5').update(`${name}:${secret}`).digest();
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text));
  });
}

/**
 * The HTTP(S) request listener of `fleet`, answering at `url()`; with `status`, every request gets
 * that HTTP status and no body.
 */
export function fleetHandler(
  fleet: FleetLikeServer,
  url: () => string,
  status?: number,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void readAll(req).then((body) => {
      if (status !== undefined) {
        res.writeHead(status);
        res.end();
        return;
      }
      const socket = req.socket as Partial<TLSSocket>;
      const peer = socket.getPeerCertificate?.();
      const cn = peer?.subject === undefined ? undefined : String(peer.subject.CN);
      res.writeHead(200, { 'content-type': 'application/vnd.syncml.dm+xml' });
      res.end(fleet.handle(body, url(), cn));
    });
  };
}

/** Serves `fleet` over http on 127.0.0.1; the caller closes the server. */
export async function serveFleetHttp(
  fleet: FleetLikeServer,
  status?: number,
): Promise<{ readonly url: string; readonly server: Server }> {
  let url = '';
  const server = createServer(fleetHandler(fleet, () => url, status));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MDM_PATH}`;
  return { url, server };
}

/** The device's statuses in one message, as `[cmd, cmdRef, code]` (the SyncHdr's left out). */
export function deviceStatuses(commands: readonly Command[]): [string, string, string][] {
  return commands
    .filter((c): c is StatusCommand => c.kind === 'Status' && c.cmd !== 'SyncHdr')
    .map((s) => [s.cmd, s.cmdRef, s.data]);
}

/**
 * Lists for the servers and clients a test file opens, all closed after each test (call it at
 * the file's top level).
 */
export function closedAfterEach(): {
  servers: { close(): void; closeAllConnections(): void }[];
  clients: { close(): void }[];
} {
  const open = {
    servers: [] as { close(): void; closeAllConnections(): void }[],
    clients: [] as { close(): void }[],
  };
  afterEach(() => {
    for (const cl of open.clients.splice(0)) cl.close();
    for (const s of open.servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });
  return open;
}
