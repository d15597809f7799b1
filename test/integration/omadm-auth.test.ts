import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OmaDmHttpClient } from '../../src/adapters/http/omadm-client.js';
import type { ClientIdentity, DmAccount } from '../../src/core/dm/dm-account.js';
import { defaultIdentity, windowsTree } from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type { SessionRequest, SessionResult } from '../../src/core/ports.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import {
  FleetLikeServer,
  MDM_PATH,
  fleetHandler,
  serveFleetHttp,
} from '../helpers/fleet-like-server.js';
import { makeTestPki, type TestPki } from '../helpers/test-pki.js';
import { until } from '../helpers/until.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const device = defaultIdentity('dev-auth', '1607');
const DEV = device.devId;
const SECRET = 'c0ffee00-1111-4222-8333-444455556666';

/** A DM account made by hand, as the DM tree will give it: the nonce is what was saved last. */
function account(serverUrl: string, secret = SECRET): DmAccount {
  let nonce = '';
  return {
    serverId: 'DMPUSH',
    serverUrl,
    client: {
      scheme: 'md5',
      name: DEV,
      secret,
      get nonce() {
        return nonce;
      },
    },
    saveNonce(value: string) {
      nonce = value;
    },
  };
}

function request(acc: DmAccount | null, identity: ClientIdentity | null = null): SessionRequest {
  const readPush = () => ({ pfn: null, channelUri: null, status: PushStatus.NoChannelUri });
  return {
    deviceId: 'dev-auth',
    trigger: 'poll',
    devId: DEV,
    readPush,
    account: acc,
    identity,
    tree: windowsTree(device, 'DMPUSH', {
      now: () => T0,
      readPush,
      setPfn: () => undefined,
      pollConfig: () => DEFAULT_POLL,
      setPoll: () => undefined,
    }),
  };
}

const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
const clients: OmaDmHttpClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serveHttp(fleet: FleetLikeServer, status?: number): Promise<string> {
  const { url, server } = await serveFleetHttp(fleet, status);
  servers.push(server);
  return url;
}

function client(url?: string): OmaDmHttpClient {
  const c = new OmaDmHttpClient({
    clock: new VirtualClock({ start: T0 }),
    ...(url ? { url } : {}),
  });
  clients.push(c);
  return c;
}

async function run(c: OmaDmHttpClient, req: SessionRequest): Promise<SessionResult> {
  let result: SessionResult | null = null;
  c.startSession(req, (r) => (result = r));
  await until(() => result !== null, 'the session to end');
  return result as unknown as SessionResult;
}

describe('OmaDmHttpClient against a digest-checking server (Fleet-like)', () => {
  it('a full session: 407 on package 1, package 1 again with the digest, Cred on every message', async () => {
    const fleet = new FleetLikeServer(DEV, SECRET);
    const url = await serveHttp(fleet);
    const acc = account(url);
    // No url of its own: the device posts to its account's server.
    expect(await run(client(), request(acc))).toEqual({ ok: true });
    expect(fleet.seen.map((s) => [s.msgId, s.cred, s.code])).toEqual([
      ['1', false, '407'],
      ['2', true, '200'],
      ['3', true, '200'],
    ]);
    expect(acc.client?.nonce).not.toBe('');
  });

  it('a second session uses the rotated nonce: its package 1 digest is accepted at once', async () => {
    const fleet = new FleetLikeServer(DEV, SECRET);
    const url = await serveHttp(fleet);
    const acc = account(url);
    const c = client();
    expect(await run(c, request(acc))).toEqual({ ok: true });
    expect(await run(c, request(acc))).toEqual({ ok: true });
    const second = fleet.seen.filter((s) => s.sessionId === '2');
    expect(second.map((s) => [s.msgId, s.cred, s.code])).toEqual([
      ['1', true, '200'],
      ['2', true, '200'],
    ]);
  });

  it('a server that forgot the nonce (Fleet: five minutes) challenges a digest; the device answers', async () => {
    const fleet = new FleetLikeServer(DEV, SECRET);
    const url = await serveHttp(fleet);
    const acc = account(url);
    const c = client();
    expect(await run(c, request(acc))).toEqual({ ok: true });
    fleet.forgetNonce();
    expect(await run(c, request(acc))).toEqual({ ok: true });
    const second = fleet.seen.filter((s) => s.sessionId === '2');
    expect(second.map((s) => [s.msgId, s.cred, s.code])).toEqual([
      ['1', true, '407'],
      ['2', true, '200'],
      ['3', true, '200'],
    ]);
  });

  it('a wrong secret fails with auth-rejected after the 401', async () => {
    const fleet = new FleetLikeServer(DEV, SECRET);
    const url = await serveHttp(fleet);
    const result = await run(client(), request(account(url, 'not-the-secret')));
    expect(result).toEqual({
      ok: false,
      reason: 'auth-rejected: the server refused the credentials (401) for syncml:auth-md5',
    });
    expect(fleet.seen.map((s) => s.code)).toEqual(['407', '401']);
  });

  it('HTTP 401 and 403 fail with auth-rejected', async () => {
    for (const status of [401, 403]) {
      const url = await serveHttp(new FleetLikeServer(DEV, SECRET), status);
      expect(await run(client(), request(account(url)))).toEqual({
        ok: false,
        reason: `auth-rejected: HTTP ${status} from the management server`,
      });
    }
  });

  it('a device without an account and a client without url fails with a clear reason', async () => {
    expect(await run(client(), request(null))).toEqual({
      ok: false,
      reason: 'no management URL: the device has no DM account and the transport no url',
    });
  });
});

describe('OmaDmHttpClient over mutual TLS', () => {
  let pki: TestPki;
  let serverTls: { certPem: string; keyPem: string };
  let identity: ClientIdentity;
  beforeAll(async () => {
    pki = await makeTestPki();
    serverTls = await pki.server(['127.0.0.1']);
    const issued = await pki.client(DEV);
    identity = {
      certificatePem: issued.certPem,
      keyPem: issued.keyPem,
      trustedCaPems: [pki.caPem],
    };
  });

  async function serveHttps(fleet: FleetLikeServer): Promise<string> {
    let url = '';
    const server = createHttpsServer(
      {
        cert: serverTls.certPem,
        key: serverTls.keyPem,
        ca: [pki.caPem],
        requestCert: true,
        rejectUnauthorized: true,
      },
      fleetHandler(fleet, () => url),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}${MDM_PATH}`;
    return url;
  }

  it('presents the device certificate and trusts the server through trustedCaPems', async () => {
    const fleet = new FleetLikeServer(DEV, SECRET);
    const url = await serveHttps(fleet);
    expect(await run(client(), request(account(url), identity))).toEqual({ ok: true });
    // Trusted by its certificate (Fleet: the CN holds the device id), no challenge.
    expect(fleet.seen.map((s) => [s.code, s.clientCn])).toEqual([
      ['200', DEV],
      ['200', DEV],
    ]);
  });

  it('without the server root in trustedCaPems the TLS handshake fails', async () => {
    const url = await serveHttps(new FleetLikeServer(DEV, SECRET));
    const untrusting = { ...identity, trustedCaPems: [] };
    const result = await run(client(), request(account(url), untrusting));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/^network error: /);
  });

  describe('with NODE_EXTRA_CA_CERTS', () => {
    let dir = '';
    let saved: string | undefined;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'dmpush-extra-ca-'));
      saved = process.env['NODE_EXTRA_CA_CERTS'];
    });
    afterAll(() => {
      if (saved === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
      else process.env['NODE_EXTRA_CA_CERTS'] = saved;
      rmSync(dir, { recursive: true, force: true });
    });

    it('trusts the roots of the NODE_EXTRA_CA_CERTS file besides the identity roots', async () => {
      const file = join(dir, 'extra.pem');
      writeFileSync(file, pki.caPem);
      process.env['NODE_EXTRA_CA_CERTS'] = file;
      const url = await serveHttps(new FleetLikeServer(DEV, SECRET));
      const result = await run(client(), request(account(url), { ...identity, trustedCaPems: [] }));
      expect(result).toEqual({ ok: true });
    });

    it('an unreadable NODE_EXTRA_CA_CERTS fails the session naming it', async () => {
      process.env['NODE_EXTRA_CA_CERTS'] = join(dir, 'missing.pem');
      const url = await serveHttps(new FleetLikeServer(DEV, SECRET));
      const result = await run(client(), request(account(url), identity));
      expect(result).toEqual({
        ok: false,
        reason: `cannot start the session: cannot read NODE_EXTRA_CA_CERTS (${join(dir, 'missing.pem')}): ENOENT`,
      });
    });
  });
});
