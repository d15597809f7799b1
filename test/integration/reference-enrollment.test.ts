/**
 * The reference MDM server's enrollment endpoints over real HTTP on 127.0.0.1: MS-MDE2 discovery,
 * policy and enrollment driven with hand-written SOAP (test/helpers/enrollment-soap.ts, from the
 * protocol's samples), the provisioning document read back independently of the project's code.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startReferenceMdm,
  type RunningEnrollment,
  type RunningReferenceMdm,
  type StartReferenceMdmOptions,
} from '../../src/adapters/mdm-server/start.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import type { MdmServerEvent } from '../../src/mdm-server/mdm-events.js';
import {
  at,
  binaryToken,
  deviceContext,
  discoverXml,
  enrollXml,
  makeCsr,
  parms,
  policiesXml,
  provisioningOf,
  readXml,
  rsaKeys,
  sub,
  textAt,
  usernameToken,
  type Characteristic,
} from '../helpers/enrollment-soap.js';

const T0 = Date.UTC(2026, 0, 1);
const USER = { user: 'user@contoso.com', password: 'mypassword' };
const SOAP_TYPE = 'application/soap+xml; charset=utf-8';
const DEVICE = '7BA748C8-703E-4DF2-A74A-92984117346A';

let keys: webcrypto.CryptoKeyPair[];
let caDir: string;
beforeAll(async () => {
  keys = [await rsaKeys(), await rsaKeys()];
  caDir = mkdtempSync(join(tmpdir(), 'dmpush-enroll-ca-'));
});
afterAll(() => rmSync(caDir, { recursive: true, force: true }));

const key = (i: number): webcrypto.CryptoKeyPair => keys[i] as webcrypto.CryptoKeyPair;

function options(extra: Partial<StartReferenceMdmOptions> = {}): StartReferenceMdmOptions {
  return {
    port: 0,
    pfn: 'Contoso.MDM_8wekyb3d8bbwe',
    wns: { tokenUrl: 'http://127.0.0.1:9/accesstoken.srf', sid: 'ms-app://s-1', secret: 'x' },
    clock: new VirtualClock({ start: T0 }),
    enrollment: { authPolicy: 'OnPremise', users: [USER], caDir },
    ...extra,
  };
}

/** POSTs SOAP; checks the content type and returns the answer's text and tree. */
async function soap(
  url: string,
  body: string,
): Promise<{ status: number; xml: string; tree: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': SOAP_TYPE }, body });
  const xml = await res.text();
  expect(res.headers.get('content-type')).toBe(SOAP_TYPE);
  return { status: res.status, xml, tree: readXml(xml) };
}

/** The fault of an answer: subcode, reason, detail error type. */
const fault = (tree: unknown): { subcode: string; reason: string; errorType: unknown } => ({
  subcode: textAt(tree, 'Envelope', 'Body', 'Fault', 'Code', 'Subcode', 'Value'),
  reason: textAt(tree, 'Envelope', 'Body', 'Fault', 'Reason', 'Text'),
  errorType: at(
    tree,
    'Envelope',
    'Body',
    'Fault',
    'Detail',
    'DeviceEnrollmentServiceError',
    'ErrorType',
  ),
});

const thumbprint = async (cert: x509.X509Certificate): Promise<string> =>
  Buffer.from(await cert.getThumbprint('SHA-1'))
    .toString('hex')
    .toUpperCase();

describe('reference MDM enrollment (OnPremise) over HTTP', () => {
  let running: RunningReferenceMdm;
  let events: MdmServerEvent[];

  beforeEach(async () => {
    events = [];
    running = await startReferenceMdm(options({ onEvent: (e) => events.push(e) }));
  });
  afterEach(() => running.close());

  const urls = (): RunningEnrollment['urls'] => {
    if (!running.enrollment) throw new Error('enrollment is off');
    return running.enrollment.urls;
  };

  it('answers the discovery GET with 200 and an empty body', async () => {
    const res = await fetch(urls().discovery);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('answers Discover with OnPremise and absolute URLs on its own origin', async () => {
    const { status, tree } = await soap(urls().discovery, discoverXml({ to: urls().discovery }));
    expect(status).toBe(200);
    expect(textAt(tree, 'Envelope', 'Header', 'RelatesTo')).toBe(
      'urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478',
    );
    expect(textAt(tree, 'Envelope', 'Header', 'Action')).toMatch(
      /IDiscoveryService\/DiscoverResponse$/,
    );
    expect(at(tree, 'Envelope', 'Body', 'DiscoverResponse', 'DiscoverResult')).toEqual({
      AuthPolicy: 'OnPremise',
      EnrollmentVersion: '4.0',
      EnrollmentPolicyServiceUrl: `${running.url}/EnrollmentServer/Policy.svc`,
      EnrollmentServiceUrl: `${running.url}/EnrollmentServer/Enrollment.svc`,
    });
  });

  it('declines the Discover requests Fleet declines, with MS-MDE2 faults', async () => {
    const to = urls().discovery;
    for (const omit of ['MessageID', 'ReplyTo', 'To'] as const) {
      const { status, tree } = await soap(to, discoverXml({ to, omit }));
      expect(status).toBe(200);
      expect(fault(tree).subcode).toBe('s:MessageFormat');
      expect(fault(tree).reason).toContain(omit);
    }
    const phone = await soap(to, discoverXml({ to, deviceType: 'WindowsPhone' }));
    expect(fault(phone.tree)).toMatchObject({
      subcode: 's:Authorization',
      errorType: 'DeviceNotSupported',
    });
    const old = await soap(to, discoverXml({ to, requestVersion: '3.0' }));
    expect(fault(old.tree).errorType).toBe('DeviceNotSupported');
    // Windows 11 25H2 sends 9.0 (fleetdm/fleet#49329): served.
    const recent = await soap(to, discoverXml({ to, requestVersion: '9.0' }));
    expect(at(recent.tree, 'Envelope', 'Body', 'DiscoverResponse')).toBeDefined();
    const federatedOnly = await soap(to, discoverXml({ to, authPolicies: ['Federated'] }));
    expect(fault(federatedOnly.tree).subcode).toBe('s:Authorization');
    expect(events.filter((e) => e.type === 'mdm.enrollment-fault')).toHaveLength(6);
  });

  it('answers GetPolicies to the configured user, declines wrong or missing credentials', async () => {
    const to = urls().policy;
    const ok = await soap(to, policiesXml(to, usernameToken(USER.user, USER.password)));
    const response = at(ok.tree, 'Envelope', 'Body', 'GetPoliciesResponse');
    const attributes = at(response, 'response', 'policies', 'policy', 'attributes');
    expect(at(attributes, 'privateKeyAttributes', 'minimalKeyLength')).toBe('2048');
    expect(at(attributes, 'hashAlgorithmOIDReference')).toBe('0');
    expect(at(response, 'oIDs', 'oID')).toMatchObject({
      value: '2.16.840.1.101.3.4.2.1',
      oIDReferenceID: '0',
    });

    const wrong = await soap(to, policiesXml(to, usernameToken(USER.user, 'nope-secret')));
    expect(fault(wrong.tree).subcode).toBe('s:Authentication');
    expect(wrong.xml).not.toContain('nope-secret');
    const none = await soap(to, policiesXml(to, ''));
    expect(fault(none.tree).subcode).toBe('a:InvalidSecurity');
    const token = await soap(to, policiesXml(to, binaryToken('abc')));
    expect(fault(token.tree).subcode).toBe('a:InvalidSecurity');
  });

  /** Enrolls a device and returns its provisioning document's root characteristics. */
  async function enroll(deviceId: string, hwDevId: string, keyPair: webcrypto.CryptoKeyPair) {
    const csr = await makeCsr(keyPair, `CN=${deviceId}`);
    const to = urls().enrollment;
    const security = usernameToken(USER.user, USER.password);
    const res = await soap(to, enrollXml(to, security, csr, deviceContext(deviceId, hwDevId)));
    expect(res.status).toBe(200);
    const doc = provisioningOf(res.xml);
    expect(doc.version).toBe('1.1');
    const byType = (type: string): Characteristic => {
      const found = doc.characteristics.find((c) => c['@_type'] === type);
      if (!found) throw new Error(`no ${type}`);
      return found;
    };
    return { byType, xml: doc.xml };
  }

  it('enrolls a device: CA and device certificate, w7 APPLICATION, DMClient provider, a record', async () => {
    const { byType, xml } = await enroll(DEVICE, 'HW-1', key(0));
    const store = byType('CertificateStore');
    const caEntry = sub(sub(store, 'Root'), 'System').characteristic?.[0] as Characteristic;
    const ca = new x509.X509Certificate(
      Buffer.from(parms(caEntry)['EncodedCertificate'] ?? '', 'base64'),
    );
    expect(caEntry['@_type']).toBe(await thumbprint(ca));
    expect(caEntry['@_type']).toBe(running.enrollment?.ca.root.thumbprint);

    const user = sub(sub(store, 'My'), 'User');
    expect(user.characteristic?.map((c) => c['@_type'])).toContain('PrivateKeyContainer');
    const deviceEntry = user.characteristic?.[0] as Characteristic;
    const cert = new x509.X509Certificate(
      Buffer.from(parms(deviceEntry)['EncodedCertificate'] ?? '', 'base64'),
    );
    expect(deviceEntry['@_type']).toBe(await thumbprint(cert));
    expect(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    const spki = await webcrypto.subtle.exportKey('spki', key(0).publicKey);
    expect(Buffer.from(cert.publicKey.rawData).equals(Buffer.from(spki))).toBe(true);
    expect(cert.subject).toBe('CN=HW-1, OU=DMPUSH');
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);

    const app = byType('APPLICATION');
    expect(parms(app)).toMatchObject({
      APPID: 'w7',
      'PROVIDER-ID': 'DMPUSH',
      ADDR: `${running.url}/ManagementServer/MDM.svc`,
      DEFAULTENCODING: 'application/vnd.syncml.dm+xml',
    });
    expect(Object.keys(parms(app))).toContain('BACKCOMPATRETRYDISABLED');
    const auths = (app.characteristic ?? []).map(parms);
    expect(auths.map((a) => a['AAUTHLEVEL'])).toEqual(['CLIENT', 'APPSRV']);
    const appsrv = auths[1] ?? {};
    expect(appsrv).toMatchObject({ AAUTHTYPE: 'DIGEST', AAUTHNAME: DEVICE });
    const secret = appsrv['AAUTHSECRET'] ?? '';
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from(appsrv['AAUTHDATA'] ?? '', 'base64').length).toBeGreaterThan(0);

    const provider = sub(sub(byType('DMClient'), 'Provider'), 'DMPUSH');
    expect(parms(provider)['EntDMID']).toBe(DEVICE);
    expect(parms(sub(provider, 'Poll'))).toMatchObject({
      IntervalForFirstSetOfRetries: '3',
      NumberOfFirstRetries: '5',
      IntervalForRemainingScheduledRetries: '480',
    });

    const record = running.enrollment?.registry.get(DEVICE);
    expect(record).toMatchObject({
      hwDevId: 'HW-1',
      enrollmentType: 'Full',
      user: USER.user,
      enrolledAt: T0,
      unenrolledAt: null,
      certificateThumbprint: deviceEntry['@_type'],
    });
    expect(events.find((e) => e.type === 'mdm.enrolled')).toMatchObject({
      deviceId: DEVICE,
      hwDevId: 'HW-1',
    });
    expect(xml).toContain(secret);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(running.enrollment?.registry.records())).not.toContain(secret);
  });

  it('gives two devices different secrets and certificates', async () => {
    const a = await enroll('DEV-A', 'HW-A', key(0));
    const b = await enroll('DEV-B', 'HW-B', key(1));
    const secret = (e: typeof a): string | undefined =>
      parms((e.byType('APPLICATION').characteristic ?? [])[1] as Characteristic)['AAUTHSECRET'];
    expect(secret(a)).not.toBe(secret(b));
    const deviceThumb = (e: typeof a): string | undefined =>
      sub(sub(e.byType('CertificateStore'), 'My'), 'User').characteristic?.[0]?.['@_type'];
    expect(deviceThumb(a)).not.toBe(deviceThumb(b));
    expect(running.enrollment?.registry.views().map((v) => v.deviceId)).toEqual(['DEV-A', 'DEV-B']);
  });

  it('declines a CSR that does not verify, and a request missing a required context item', async () => {
    const to = urls().enrollment;
    const security = usernameToken(USER.user, USER.password);
    const csr = Buffer.from(await makeCsr(key(0), 'CN=X'), 'base64');
    csr[csr.length - 5] = (csr[csr.length - 5] as number) ^ 0xff;
    const bad = await soap(
      to,
      enrollXml(to, security, csr.toString('base64'), deviceContext('D', 'H')),
    );
    expect(fault(bad.tree).subcode).toBe('s:CertificateRequest');

    const { HWDevID: _, ...context } = deviceContext('D', 'H');
    const missing = await soap(to, enrollXml(to, security, await makeCsr(key(0), 'CN=X'), context));
    expect(fault(missing.tree).subcode).toBe('s:MessageFormat');
    expect(fault(missing.tree).reason).toContain('HWDevID');
    expect(running.enrollment?.registry.views()).toEqual([]);
  });

  it('serves no enrollment path without enrollment (the SyncML route answers)', async () => {
    await running.close();
    running = await startReferenceMdm(options({ enrollment: undefined }));
    expect(running.enrollment).toBeNull();
    const res = await fetch(`${running.url}/EnrollmentServer/Discovery.svc`, {
      method: 'POST',
      headers: { 'content-type': SOAP_TYPE },
      body: discoverXml({ to: 'x' }),
    });
    expect(res.status).toBe(415);
  });
});

describe('reference MDM enrollment (Federated) over HTTP', () => {
  let running: RunningReferenceMdm;
  beforeEach(async () => {
    running = await startReferenceMdm(
      options({
        enrollment: {
          authPolicy: 'Federated',
          tokens: ['dG9rZW4tMQ=='],
          publicUrl: 'https://mdm.contoso.com/',
          caDir,
        },
      }),
    );
  });
  afterEach(() => running.close());

  const post = async (path: string, body: string): Promise<unknown> =>
    (await soap(`${running.url}${path}`, body)).tree;

  it('names its public origin and an authentication URL; accepts only a configured token', async () => {
    const discovered = await post(
      '/EnrollmentServer/Discovery.svc',
      discoverXml({ to: 'x', authPolicies: ['OnPremise', 'Federated'] }),
    );
    expect(at(discovered, 'Envelope', 'Body', 'DiscoverResponse', 'DiscoverResult')).toMatchObject({
      AuthPolicy: 'Federated',
      EnrollmentServiceUrl: 'https://mdm.contoso.com/EnrollmentServer/Enrollment.svc',
      AuthenticationServiceUrl: 'https://mdm.contoso.com/EnrollmentServer/Authentication.svc',
    });
    const ok = await post(
      '/EnrollmentServer/Policy.svc',
      policiesXml('x', binaryToken('dG9rZW4tMQ==')),
    );
    expect(at(ok, 'Envelope', 'Body', 'GetPoliciesResponse')).toBeDefined();
    const other = await post(
      '/EnrollmentServer/Policy.svc',
      policiesXml('x', binaryToken('b3RoZXI=')),
    );
    expect(fault(other).subcode).toBe('s:Authentication');
    const user = await post(
      '/EnrollmentServer/Policy.svc',
      policiesXml('x', usernameToken('u', 'p')),
    );
    expect(fault(user).subcode).toBe('a:InvalidSecurity');
    expect((await fetch(`${running.url}/EnrollmentServer/Authentication.svc`)).status).toBe(501);
  });

  it('serves the public host name (a Host the server does not know is 421)', async () => {
    const probe = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          `${running.url}/EnrollmentServer/Discovery.svc`,
          { headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await probe('mdm.contoso.com')).toBe(200);
    expect(await probe('elsewhere.example')).toBe(421);
  });
});
