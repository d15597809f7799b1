/**
 * The device's MS-MDE2 enrollment client against an independent spec server
 * (test/helpers/spec-enroll-server.ts) over real HTTPS on 127.0.0.1.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  enroll,
  type EnrollmentOutcome,
  type EnrollOptions,
  type EnrollSuccess,
} from '../../src/adapters/enroll/enrollment-client.js';
import type { EnrollDeviceProfile } from '../../src/core/enroll/device-profile.js';
import {
  startSpecEnrollServer,
  type SpecEnrollServer,
  type SpecEnrollServerOptions,
} from '../helpers/spec-enroll-server.js';

const servers: SpecEnrollServer[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: SpecEnrollServerOptions = {}): Promise<SpecEnrollServer> {
  const server = await startSpecEnrollServer({
    users: { 'alice@contoso.com': 'p@ss w0rd&<' },
    ...options,
  });
  servers.push(server);
  return server;
}

function profile(
  n: number,
  release: EnrollDeviceProfile['release'] = 'windows11',
): EnrollDeviceProfile {
  const hex = n.toString(16).toUpperCase().padStart(4, '0');
  return {
    devId: `1E08C6E95D8BB843B1278FF45BC6${hex}`,
    hwDevId: `3B3ED6D0EA88CBFCF37D36F90F22FE61172348C0162FC3840D670314987${hex.padStart(5, '0')}`,
    deviceName: `DESKTOP-SIM${hex}`,
    release,
    email: 'alice@contoso.com',
  };
}

const ONPREM = { policy: 'OnPremise', user: 'alice@contoso.com', password: 'p@ss w0rd&<' } as const;

function options(server: SpecEnrollServer, extra: Partial<EnrollOptions> = {}): EnrollOptions {
  return {
    discoveryUrl: server.discoveryUrl,
    profile: profile(1),
    credentials: ONPREM,
    ca: server.caPem,
    timeoutMs: 10_000,
    ...extra,
  };
}

function success(outcome: EnrollmentOutcome): EnrollSuccess {
  if (!outcome.ok) throw new Error(`enrollment failed: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('a full enrollment', () => {
  it('OnPremise: probe, Discover, GetPolicies, RequestSecurityToken; the device gets its certificate', async () => {
    const server = await start();
    let id = 0;
    const outcome = success(
      await enroll(
        options(server, { newMessageId: () => `00000000-0000-4000-8000-00000000000${++id}` }),
      ),
    );

    expect(server.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /EnrollmentServer/Discovery.svc',
      'POST /EnrollmentServer/Discovery.svc',
      'POST /EnrollmentServer/Policy.svc',
      'POST /EnrollmentServer/Enrollment.svc',
    ]);
    for (const post of server.received.slice(1)) {
      expect(post.headers['content-type']).toBe('application/soap+xml; charset=utf-8');
      expect(post.headers['user-agent']).toBe('ENROLLClient');
    }
    expect(server.received[1]?.body).toContain(
      '<a:MessageID>urn:uuid:00000000-0000-4000-8000-000000000001</a:MessageID>',
    );
    expect(server.received[3]?.body).toContain(
      '<a:MessageID>urn:uuid:00000000-0000-4000-8000-000000000003</a:MessageID>',
    );

    const [issued] = server.issued;
    expect(issued?.devId).toBe(profile(1).devId);
    expect(issued?.csrSubject).toBe(`CN=${profile(1).devId}`);
    expect(issued?.csrHash).toBe('SHA-256');
    expect(issued?.csrKeyBits).toBe(2048);
    expect(issued?.context.RequestVersion).toEqual(['9.0']);
    expect(issued?.context.HWDevID).toEqual([profile(1).hwDevId]);

    expect(outcome.authPolicy).toBe('OnPremise');
    expect(outcome.probeStatus).toBe(200);
    expect(outcome.urls).toEqual({
      discovery: server.discoveryUrl,
      policy: `${server.origin}/EnrollmentServer/Policy.svc`,
      enrollment: `${server.origin}/EnrollmentServer/Enrollment.svc`,
    });
    expect(outcome.policy?.minimalKeyLength).toBe(2048);
    expect(outcome.certificate.thumbprint).toBe(issued?.thumbprint);
    expect(outcome.certificate.documentThumbprint).toBe(issued?.thumbprint);
    expect(outcome.certificate.location).toBe('User');
    expect(outcome.certificate.subject).toBe(`CN=${profile(1).devId}`);
    expect(outcome.provisioningXml).toBe(issued?.provisioningXml);

    // The key the device kept is the one the certificate certifies.
    const fromKey = createPublicKey(createPrivateKey(outcome.keyPem)).export({
      type: 'spki',
      format: 'der',
    });
    const fromCert = Buffer.from(
      new x509.X509Certificate(outcome.certificate.certificatePem).publicKey.rawData,
    );
    expect(fromKey.equals(fromCert)).toBe(true);
    expect(outcome.identity).toEqual({
      certificatePem: outcome.certificate.certificatePem,
      keyPem: outcome.keyPem,
      trustedCaPems: [new x509.X509Certificate(server.caPem).toString('pem')],
    });

    const app = outcome.provisioningDoc.characteristics.find((c) => c.type === 'APPLICATION');
    expect(app?.parms).toEqual(
      expect.arrayContaining([
        { name: 'APPID', value: 'w7' },
        { name: 'PROVIDER-ID', value: 'SpecTestMDM' },
        { name: 'ADDR', value: `${server.origin}/ManagementServer/MDM.svc` },
      ]),
    );
    expect(app?.children.map((c) => c.parms.find((p) => p.name === 'AAUTHLEVEL')?.value)).toEqual([
      'CLIENT',
      'APPSRV',
    ]);
  });

  it('Federated: the token travels base64 in a BinarySecurityToken; the auth service URL is reported', async () => {
    const server = await start({ authPolicy: 'Federated', tokens: ['eyJhbGciOi.token-1'] });
    const outcome = success(
      await enroll(
        options(server, { credentials: { policy: 'Federated', token: 'eyJhbGciOi.token-1' } }),
      ),
    );
    expect(outcome.authPolicy).toBe('Federated');
    expect(outcome.urls.authentication).toBe(`${server.origin}/auth`);
    expect(server.issued).toHaveLength(1);
    expect(server.received[2]?.body).toContain(
      Buffer.from('eyJhbGciOi.token-1').toString('base64'),
    );
  });

  it('a Device enrollment gets its certificate under My/System', async () => {
    const server = await start();
    const outcome = success(
      await enroll(options(server, { profile: { ...profile(2), enrollmentType: 'Device' } })),
    );
    expect(outcome.certificate.location).toBe('System');
  });

  it('follows the policy: its key length, its hash; without one, the release default', async () => {
    const big = await start({ minimalKeyLength: 3072, hashOid: '2.16.840.1.101.3.4.2.2' });
    const outcome = success(await enroll(options(big)));
    expect(outcome.csr).toMatchObject({ keyLength: 3072, hash: 'SHA-384' });
    expect(big.issued[0]).toMatchObject({ csrKeyBits: 3072, csrHash: 'SHA-384' });

    const nilHash = await start({ hashOid: null });
    success(await enroll(options(nilHash, { profile: profile(3, 'windows10') })));
    success(await enroll(options(nilHash, { profile: profile(4, 'windows11') })));
    expect(nilHash.issued.map((i) => i.csrHash)).toEqual(['SHA-1', 'SHA-256']);
  });

  it('skips GetPolicies when discovery names no policy service', async () => {
    const server = await start({ policyService: false });
    const outcome = success(await enroll(options(server)));
    expect(outcome.policy).toBeUndefined();
    expect(server.received.map((r) => r.path)).not.toContain('/EnrollmentServer/Policy.svc');
  });

  it('a failing GET probe is not fatal; probe: false sends none', async () => {
    const server = await start({ probeStatus: 404 });
    expect(success(await enroll(options(server))).probeStatus).toBe(404);
    const quiet = await start();
    expect(success(await enroll(options(quiet, { probe: false }))).probeStatus).toBeNull();
    expect(quiet.received[0]?.method).toBe('POST');
  });

  it('two devices get different keys and certificates', async () => {
    const server = await start();
    const [a, b] = await Promise.all([
      enroll(options(server, { profile: profile(5) })),
      enroll(options(server, { profile: profile(6) })),
    ]);
    const first = success(a);
    const second = success(b);
    expect(first.keyPem).not.toBe(second.keyPem);
    expect(first.certificate.thumbprint).not.toBe(second.certificate.thumbprint);
    expect(new Set(server.issued.map((i) => i.devId))).toEqual(
      new Set([profile(5).devId, profile(6).devId]),
    );
  });
});

describe('failures end the enrollment with a stage, a status and a reason', () => {
  it.each([
    ['discovery', 'discovery'],
    ['policy', 'policy'],
    ['enroll', 'enroll'],
  ] as const)('a SOAP fault at %s', async (serverStage, stage) => {
    const server = await start({
      faults: {
        [serverStage]: {
          subcode: 'Authorization',
          reason: 'This User is not authorized to enroll',
        },
      },
    });
    const outcome = await enroll(options(server));
    expect(outcome).toEqual({
      ok: false,
      stage,
      status: 200,
      reason:
        's:Receiver/s:Authorization (MENROLL_E_DEVICE_AUTHORIZATION_ERROR 0x80180003): This User is not authorized to enroll',
      fault: {
        code: 's:Receiver',
        subcode: 's:Authorization',
        reason: 'This User is not authorized to enroll',
      },
    });
    expect(server.issued).toHaveLength(0);
  });

  it('a SOAP fault sent with HTTP 500 keeps its status and its fault', async () => {
    const server = await start({
      faults: { enroll: { subcode: 'EnrollmentServer', httpStatus: 500 } },
    });
    const outcome = await enroll(options(server));
    expect(outcome).toMatchObject({ ok: false, stage: 'enroll', status: 500 });
    expect(!outcome.ok && outcome.reason).toMatch(
      /^s:Receiver\/s:EnrollmentServer \(MENROLL_E_DEVICE_CONFIGMGRSERVER_ERROR/,
    );
  });

  it.each(['discovery', 'policy', 'enroll'] as const)('HTTP 500 at %s', async (stage) => {
    const server = await start({ faults: { [stage]: { plainHttpStatus: 500 } } });
    const outcome = await enroll(options(server));
    expect(outcome).toEqual({
      ok: false,
      stage,
      status: 500,
      reason: `HTTP 500 from ${new URL(server.origin).host}`,
    });
  });

  it('a wrong password is refused at the policy stage; the password is in no reason', async () => {
    const server = await start();
    const outcome = await enroll(
      options(server, { credentials: { ...ONPREM, password: 'wrong-Secret-123' } }),
    );
    expect(outcome).toMatchObject({ ok: false, stage: 'policy', status: 200 });
    expect(!outcome.ok && outcome.reason).toContain(
      's:Authentication (MENROLL_E_DEVICE_AUTHENTICATION_ERROR',
    );
    expect(JSON.stringify(outcome)).not.toContain('wrong-Secret-123');
  });

  it('a wrong token is refused; the token is in no reason', async () => {
    const server = await start({ authPolicy: 'Federated', tokens: ['good'] });
    const outcome = await enroll(
      options(server, { credentials: { policy: 'Federated', token: 'Bad-Token-XYZ' } }),
    );
    expect(outcome).toMatchObject({ ok: false, stage: 'policy' });
    expect(JSON.stringify(outcome)).not.toContain('Bad-Token-XYZ');
    expect(JSON.stringify(outcome)).not.toContain(Buffer.from('Bad-Token-XYZ').toString('base64'));
  });

  it('a server policy the device has no credentials for fails discovery', async () => {
    const server = await start({ authPolicy: 'Federated', tokens: ['t'] });
    const outcome = await enroll(options(server));
    expect(outcome).toEqual({
      ok: false,
      stage: 'discovery',
      status: 200,
      reason: 'the server asks for AuthPolicy Federated; the device has OnPremise credentials',
    });
    expect(server.received.map((r) => r.path)).not.toContain('/EnrollmentServer/Policy.svc');
  });

  it('a server certificate the device does not trust fails discovery with no answer', async () => {
    const server = await start();
    const { ca: _ca, ...untrusting } = options(server);
    const outcome = await enroll(untrusting);
    expect(outcome).toMatchObject({ ok: false, stage: 'discovery', status: 0 });
    expect(!outcome.ok && outcome.reason).toMatch(/^network error: /);
  });

  it('a provisioning document without the device certificate fails the provisioning stage', async () => {
    const server = await start({
      tamper: (xml) =>
        xml.replace(
          /<characteristic type="My">[\s\S]*?<characteristic type="WSTEP">/,
          '<characteristic type="My"><characteristic type="WSTEP">',
        ),
    });
    const outcome = await enroll(options(server));
    expect(outcome).toEqual({
      ok: false,
      stage: 'provisioning',
      status: 200,
      reason:
        "wap-provisioningdoc: no CertificateStore/My certificate holds the device's public key",
    });
  });

  it('a provisioning document that is not one fails the provisioning stage, naming the path', async () => {
    const server = await start({
      tamper: (xml) => xml.replace('<parm name="APPID" value="w7"/>', '<parm value="w7"/>'),
    });
    const outcome = await enroll(options(server));
    expect(outcome).toMatchObject({ ok: false, stage: 'provisioning', status: 200 });
    expect(!outcome.ok && outcome.reason).toMatch(
      /^wap-provisioningdoc\/characteristic\[3\]\/parm\[1\]: missing name$/,
    );
  });
});

/** A plain HTTP server for the transport's bounds. */
async function stub(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createHttpServer(handler);
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/EnrollmentServer/Discovery.svc`;
}

describe('transport bounds', () => {
  const base = (discoveryUrl: string, extra: Partial<EnrollOptions> = {}): EnrollOptions => ({
    discoveryUrl,
    profile: profile(9),
    credentials: ONPREM,
    probe: false,
    ...extra,
  });

  it('a server that never answers fails at the deadline (real time)', async () => {
    const url = await stub((req) => req.resume());
    const started = performance.now();
    const outcome = await enroll(base(url, { timeoutMs: 300 }));
    expect(outcome).toEqual({
      ok: false,
      stage: 'discovery',
      status: 0,
      reason: 'timeout: no complete answer within 300 ms',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('a reply over the size bound is cut', async () => {
    const url = await stub((req, res) => {
      req.resume();
      const body = `<s:Envelope>${'x'.repeat(5000)}</s:Envelope>`;
      res.writeHead(200, { 'content-type': 'application/soap+xml', 'content-length': body.length });
      res.end(body);
    });
    const outcome = await enroll(base(url, { maxReplyBytes: 1000 }));
    expect(outcome).toMatchObject({
      ok: false,
      stage: 'discovery',
      status: 0,
      reason: 'the reply is over 1000 bytes',
    });
  });

  it('a chunked reply is refused unless allowed; a non-SOAP type and a malformed reply fail', async () => {
    let mode: 'chunked' | 'html' | 'garbage' = 'chunked';
    const url = await stub((req, res) => {
      req.resume();
      if (mode === 'chunked') {
        res.writeHead(200, { 'content-type': 'application/soap+xml' });
        res.write('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">');
        res.end('<s:Body/></s:Envelope>');
      } else {
        const body = mode === 'html' ? '<html/>' : '<s:Envelope><s:Body>';
        res.writeHead(200, {
          'content-type': mode === 'html' ? 'text/html' : 'application/soap+xml',
          'content-length': body.length,
        });
        res.end(body);
      }
    });
    const chunked = await enroll(base(url));
    expect(chunked).toMatchObject({ stage: 'discovery', status: 0 });
    expect(!chunked.ok && chunked.reason).toContain('chunked');
    const allowed = await enroll(base(url, { allowChunked: true }));
    expect(allowed).toMatchObject({
      stage: 'discovery',
      status: 200,
      reason: 'malformed reply: Envelope/Body: expected DiscoverResponse, got nothing',
    });
    mode = 'html';
    expect(await enroll(base(url))).toMatchObject({
      status: 200,
      reason: 'the reply is text/html, not application/soap+xml',
    });
    mode = 'garbage';
    const garbage = await enroll(base(url));
    expect(garbage).toMatchObject({ stage: 'discovery', status: 200 });
    expect(!garbage.ok && garbage.reason).toMatch(/^malformed reply: malformed XML/);
  });

  it('refuses a discovery URL that is not one (a caller error)', async () => {
    await expect(enroll(base('not a url'))).rejects.toThrow(RangeError);
  });
});
