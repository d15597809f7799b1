/**
 * Regression: the reference MDM server sent its WNS access token to whatever host a device put in
 * `Push/ChannelURI`, so a spoofed device could collect it. Now a ChannelURI off a WNS host is
 * ignored (and logged without the URI's query), and the sender will not send there either: a real
 * listener on 127.0.0.1 must receive nothing, while the emulator's host still works.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startReferenceMdm,
  type RunningReferenceMdm,
} from '../../src/adapters/mdm-server/start.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import {
  SYNCML_CONTENT_TYPE,
  type Command,
  type NodeCommand,
  type SyncMLMessage,
} from '../../src/core/syncml/message.js';
import { APP, startHarness, type Harness } from '../helpers/wns-harness.js';

const DEV_ID = 'SPOOFED-DEVICE';

/** A device's message of session 1: package 1, or the answer to the server's `reply`. */
function message(msgId: number, commands: Command[]): SyncMLMessage {
  return {
    header: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: '1',
      msgId: String(msgId),
      target: 'https://mdm.example/ManagementServer/MDM.svc',
      source: DEV_ID,
    },
    commands,
    final: true,
  };
}

/** Answers the server's commands: 200 to each, `channelUri` and Status 0 to the Push Gets. */
function answer(reply: SyncMLMessage, channelUri: string): SyncMLMessage {
  const msgRef = reply.header.msgId;
  const out: Command[] = [
    { kind: 'Status', cmdId: '1', msgRef, cmdRef: '0', cmd: 'SyncHdr', data: '200' },
  ];
  const id = (): string => String(out.length + 1);
  for (const c of reply.commands) {
    if (c.kind === 'Status' || c.kind === 'Alert') continue;
    const target = (c as NodeCommand).items[0]?.target ?? '';
    out.push({ kind: 'Status', cmdId: id(), msgRef, cmdRef: c.cmdId, cmd: c.kind, data: '200' });
    if (c.kind === 'Get') {
      const data = target.endsWith('/Push/ChannelURI') ? channelUri : '0';
      out.push({
        kind: 'Results',
        cmdId: id(),
        msgRef,
        cmdRef: c.cmdId,
        items: [{ source: target, data }],
      });
    }
  }
  return message(2, out);
}

describe('the reference server sends its token only to WNS hosts', () => {
  let wns: Harness;
  let reference: RunningReferenceMdm;
  let foreign: Server;
  let foreignUrl: string;
  const received: IncomingMessage[] = [];
  const warnings: Record<string, unknown>[] = [];

  beforeEach(async () => {
    received.length = 0;
    warnings.length = 0;
    wns = await startHarness();
    foreign = createServer((req, res) => {
      received.push(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"access_token":"x","token_type":"bearer","expires_in":86400}');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    reference = await startReferenceMdm({
      port: 0,
      pfn: APP.pfn,
      wns: { tokenUrl: `${wns.url}/accesstoken.srf`, sid: APP.sid, secret: APP.secret },
      clock: wns.clock,
      logger: { warn: (fields, msg) => warnings.push({ ...fields, msg }) },
    });
  });
  afterEach(async () => {
    await reference.close();
    foreign.closeAllConnections();
    await new Promise<void>((resolve) => foreign.close(() => resolve()));
    await wns.close();
  });

  /** One session over HTTP in which the device reports `channelUri`. */
  async function sessionReporting(channelUri: string): Promise<void> {
    const post = async (m: SyncMLMessage): Promise<SyncMLMessage> => {
      const res = await fetch(reference.url, {
        method: 'POST',
        headers: { 'content-type': SYNCML_CONTENT_TYPE },
        body: serializeSyncML(m),
      });
      expect(res.status).toBe(200);
      return parseSyncML(await res.text());
    };
    const first = await post(
      message(1, [
        { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
        { kind: 'Replace', cmdId: '2', items: [{ source: './DevInfo/DevId', data: DEV_ID }] },
      ]),
    );
    await post(answer(first, channelUri));
  }

  it('a spoofed ChannelURI on a foreign host is ignored: nothing reaches that host', async () => {
    const spoofed = `${foreignUrl}/?token=collect-me`;
    await sessionReporting(spoofed);
    expect(reference.mdm.device(DEV_ID)?.channelUri).toBeNull();
    expect(warnings).toEqual([
      {
        deviceId: DEV_ID,
        origin: foreignUrl,
        reason: expect.stringContaining(`${foreignUrl} is not a WNS host`) as unknown,
        msg: 'ChannelURI ignored: not a WNS host',
      },
    ]);
    expect(JSON.stringify(warnings)).not.toContain('collect-me');
    expect(await reference.push(DEV_ID)).toMatchObject({ outcome: 'no-channel' });
    expect(received).toHaveLength(0);

    // The emulator's host still works: the device's real ChannelURI is taken and pushed to.
    const real = await wns.channel('inbox-1');
    await sessionReporting(real);
    expect(reference.mdm.device(DEV_ID)?.channelUri).toBe(real);
    expect(await reference.push(DEV_ID)).toMatchObject({ status: 200, outcome: 'sent' });
    expect(wns.emulator.inbox('inbox-1')).toHaveLength(1);
    // A later spoof does not replace the real URI.
    await sessionReporting(spoofed);
    expect(reference.mdm.device(DEV_ID)?.channelUri).toBe(real);
    expect(received).toHaveLength(0);
  });

  it('a foreign ChannelURI already held (an older state file): the sender sends nothing there', async () => {
    reference.mdm.load([
      {
        deviceId: DEV_ID,
        channelUri: `${foreignUrl}/?token=collect-me`,
        pushStatus: 0,
        pfnSet: true,
        sessions: 1,
        lastSessionAt: wns.clock.now(),
      },
    ]);
    const result = await reference.push(DEV_ID);
    expect(result).toMatchObject({ status: 0, outcome: 'failed' });
    expect(result.outcome === 'failed' ? result.description : '').toMatch(
      new RegExp(`^not sent: ${foreignUrl} is not a WNS host`),
    );
    expect(received).toHaveLength(0);
    // Nor was a token fetched for it.
    expect(wns.log.filter((e) => e.path === '/accesstoken.srf')).toHaveLength(0);
  });
});
