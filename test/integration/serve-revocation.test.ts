/**
 * Channel revocation live, over real sockets on 127.0.0.1: a management server Deletes
 * `Push/PFN` in a session of a device in `dmpush serve`; the device revokes its channel over its
 * WebSocket link, and a POST to the old ChannelURI on the emulator answers 410 `Revoked channel
 * URL`. Virtual clock; nothing sleeps.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import type { SimDevice } from '../../src/core/device/device.js';
import { parseSyncML } from '../../src/core/syncml/codec.js';
import { api, fresh, TEST_SERVE, type Api } from '../helpers/serve.js';
import { APP } from '../helpers/wns-harness.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

/**
 * A management server that ends every session at once, except the first session after
 * {@link PfnDeleter.armed} is set: then it sends a Delete of `target` in its first answer.
 */
class PfnDeleter {
  armed = false;
  target = '';
  /** The device's Status to the Delete. */
  readonly deleteStatuses: string[] = [];

  handle(body: string, url: string): string {
    const message = parseSyncML(body);
    const { header } = message;
    for (const c of message.commands)
      if (c.kind === 'Status' && c.cmd === 'Delete') this.deleteStatuses.push(c.data);
    const opens = message.commands.some((c) => c.kind === 'Alert' && c.data === '1201');
    let commands = '';
    if (opens && this.armed) {
      this.armed = false;
      commands = `<Delete><CmdID>2</CmdID><Item><Target><LocURI>${this.target}</LocURI></Target></Item></Delete>`;
    }
    return (
      '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
      `<SessionID>${header.sessionId}</SessionID><MsgID>${header.msgId}</MsgID>` +
      `<Target><LocURI>${header.source}</LocURI></Target><Source><LocURI>${url}</LocURI></Source>` +
      `</SyncHdr><SyncBody><Status><CmdID>1</CmdID><MsgRef>${header.msgId}</MsgRef>` +
      `<CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>${commands}<Final/>` +
      '</SyncBody></SyncML>'
    );
  }
}

async function listen(deleter: PfnDeleter): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = deleter.handle(Buffer.concat(chunks).toString('utf8'), req.url ?? '/');
      res.writeHead(200, { 'content-type': 'application/vnd.syncml.dm+xml' });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** POSTs a raw push to `channelUri` with a fresh access token of the demo app. */
async function push(a: Api, channelUri: string): Promise<Response> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: APP.sid,
    client_secret: APP.secret,
    scope: 'notify.windows.com',
  });
  const token = await fresh(`${a.s.wnsUrl}/accesstoken.srf`, {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const bearer = ((await token.json()) as { access_token: string }).access_token;
  return fresh(channelUri, {
    method: 'POST',
    body: 'wake up',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/octet-stream',
      'x-wns-type': 'wns/raw',
    },
  });
}

describe('dmpush serve: a server deletes Push/PFN, the device revokes its channel at WNS', () => {
  const deleter = new PfnDeleter();
  let mdm: { url: string; server: Server };
  let a: Api;
  beforeAll(async () => {
    mdm = await listen(deleter);
    a = api(
      await startServe(io, {
        ...TEST_SERVE,
        mdmUrl: mdm.url,
        pfn: 'Contoso.MDM_8wekyb3d8bbwe',
      }),
    );
  });
  afterAll(async () => {
    await a.s.close();
    mdm.server.closeAllConnections();
    mdm.server.close();
  });

  it('the old ChannelURI answers 410 Revoked channel URL; Push/Status 4', async () => {
    await a.advance('PT1M');
    const before = await a.device('laptop');
    const channelUri = before.channelUri as string;
    expect(channelUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect((await push(a, channelUri)).status).toBe(200);

    const device = a.s.simulation.device('laptop') as SimDevice;
    deleter.target = `${device.providerPath}/Push/PFN`;
    deleter.armed = true;
    // The next poll session (the first set polls every 15 minutes) carries the Delete.
    await a.advance('PT30M');
    expect(deleter.armed).toBe(false);
    expect(deleter.deleteStatuses).toContain('200');

    const revoked = await a.events('?device=laptop&type=channel.revoked');
    expect(revoked).toHaveLength(1);
    const after = await a.device('laptop');
    expect(after).toMatchObject({ pfn: null, channelUri: null, pushStatus: 4 });

    const res = await push(a, channelUri);
    expect(res.status).toBe(410);
    expect(res.headers.get('x-wns-error-description')).toBe('Revoked channel URL');
    expect(res.headers.get('x-wns-status')).toBe('dropped');
    expect(res.headers.get('x-wns-notificationstatus')).toBe('dropped');
  });
});
