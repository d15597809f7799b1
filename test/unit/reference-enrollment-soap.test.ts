/**
 * The enrollment service's protocol logic on request texts (no HTTP, no crypto: a fake CA):
 * hostile and malformed SOAP, the security header checks, renewal refused, the fault's shape,
 * and the provisioning document read back with the core's parser.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { parseProvisioningDoc } from '../../src/core/enroll/provisioning-doc.js';
import type { WapCharacteristic } from '../../src/core/enroll/wap-doc.js';
import { CsrRejectedError, type EnrollmentCa } from '../../src/mdm-server/enrollment/ca.js';
import {
  EnrollmentServer,
  type EnrollmentSettings,
  type EnrollmentUrls,
} from '../../src/mdm-server/enrollment/enrollment-server.js';
import type { EnrollmentUser } from '../../src/mdm-server/enrollment/ws-security.js';
import { EnrollmentRegistry } from '../../src/mdm-server/enrollment/registry.js';
import type { MdmServerEvent } from '../../src/mdm-server/mdm-events.js';
import {
  at,
  binaryToken,
  deviceContext,
  discoverXml,
  enrollXml,
  policiesXml,
  provisioningOf,
  readXml,
  textAt,
  usernameToken,
} from '../helpers/enrollment-soap.js';

const T0 = Date.UTC(2026, 0, 1);
const USER: EnrollmentUser = { user: 'u@contoso.com', password: 'pw' };

const fakeCa: EnrollmentCa = {
  root: { certificate: 'Q0E=', thumbprint: 'C'.repeat(40) },
  issue: (csr, subject) =>
    csr === 'BAD'
      ? Promise.reject(new CsrRejectedError('its signature does not verify'))
      : Promise.resolve({
          certificate: 'REVW',
          thumbprint: 'D'.repeat(40),
          subject: `CN=${subject.commonName}, OU=${subject.organizationalUnit}`,
        }),
};

function setup(settings: EnrollmentSettings = { authPolicy: 'OnPremise', users: [USER] }) {
  const events: MdmServerEvent[] = [];
  const registry = new EnrollmentRegistry();
  let n = 0;
  const server = new EnrollmentServer({
    settings,
    providerId: 'DMPUSH',
    urls: (): EnrollmentUrls => ({
      policy: 'https://mdm.test/p',
      enrollment: 'https://mdm.test/e',
      management: 'https://mdm.test/ManagementServer/MDM.svc',
      authentication: 'https://mdm.test/a',
    }),
    ca: fakeCa,
    registry,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    now: () => T0,
    onEvent: (e) => events.push(e),
  });
  return { server, registry, events };
}

const faultOf = (xml: string): { code: string; subcode: string; reason: string } => {
  const tree = readXml(xml);
  return {
    code: textAt(tree, 'Envelope', 'Body', 'Fault', 'Code', 'Value'),
    subcode: textAt(tree, 'Envelope', 'Body', 'Fault', 'Code', 'Subcode', 'Value'),
    reason: textAt(tree, 'Envelope', 'Body', 'Fault', 'Reason', 'Text'),
  };
};

const security = usernameToken(USER.user, USER.password);

describe('enrollment service: reading requests', () => {
  it('refuses a DOCTYPE with an internal subset (no entity expansion) as MessageFormat', async () => {
    const { server } = setup();
    const bomb = `<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>${discoverXml({ to: 'x' }).replace('<?xml version="1.0"?>', '')}`;
    const answer = faultOf(await server.discover(bomb));
    expect(answer).toMatchObject({ code: 's:Receiver', subcode: 's:MessageFormat' });
    expect(answer.reason).toMatch(/DOCTYPE/);
    expect(at(readXml(await server.discover('not xml')), 'Envelope', 'Header', 'RelatesTo')).toBe(
      'invalid_message_id',
    );
  });

  it('refuses a SOAP 1.1 envelope and a body of another request', async () => {
    const { server } = setup();
    const soap11 = discoverXml({ to: 'x' }).replace(
      'http://www.w3.org/2003/05/soap-envelope',
      'http://schemas.xmlsoap.org/soap/envelope/',
    );
    expect(faultOf(await server.discover(soap11)).reason).toMatch(/SOAP 1\.2 Envelope/);
    expect(faultOf(await server.discover(policiesXml('x', security))).reason).toMatch(
      /expected Discover, got "GetPolicies"/,
    );
  });

  it('quotes at most 80 characters of a hostile value in a fault', async () => {
    const { server, events } = setup();
    const long = 'W'.repeat(10_000);
    const reason = faultOf(
      await server.discover(discoverXml({ to: 'x', deviceType: long })),
    ).reason;
    expect(reason).toContain(`"${'W'.repeat(80)}…"`);
    expect(reason.length).toBeLessThan(200);
    expect(JSON.stringify(events).length).toBeLessThan(500);
  });

  it('answers the request MessageID in RelatesTo, faults with an ActivityId and xml:lang', async () => {
    const { server, events } = setup();
    const xml = await server.policies(policiesXml('x', usernameToken(USER.user, 'no')));
    const tree = readXml(xml);
    expect(textAt(tree, 'Envelope', 'Header', 'RelatesTo')).toBe(
      'urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478',
    );
    expect(textAt(tree, 'Envelope', 'Header', 'ActivityId')).toMatch(/^0{8}-/);
    expect(at(tree, 'Envelope', 'Body', 'Fault', 'Reason', 'Text', '@_lang')).toBe('en-US');
    expect(events).toEqual([
      expect.objectContaining({
        type: 'mdm.enrollment-fault',
        step: 'policy',
        subcode: 'Authentication',
      }),
    ]);
  });

  it('refuses a password digest, renewals and PKCS#7, an unknown EnrollmentType', async () => {
    const { server } = setup();
    const digest = usernameToken(USER.user, USER.password, 'http://x#PasswordDigest');
    expect(faultOf(await server.policies(policiesXml('x', digest))).subcode).toBe(
      'a:InvalidSecurity',
    );
    const context = deviceContext('D', 'H');
    const renew = enrollXml('x', security, 'CSR', context).replace('/Issue<', '/Renew<');
    expect(faultOf(await server.enroll(renew)).reason).toMatch(/renewal is not served/);
    const pkcs7 = enrollXml(
      'x',
      security,
      'CSR',
      context,
      'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS7',
    );
    expect(faultOf(await server.enroll(pkcs7)).reason).toMatch(/PKCS#7 renewal is not served/);
    const odd = enrollXml('x', security, 'CSR', { ...context, EnrollmentType: 'Guest' });
    expect(faultOf(await server.enroll(odd)).reason).toMatch(
      /EnrollmentType: expected Full or Device/,
    );
    const bad = enrollXml('x', security, 'BAD', context);
    expect(faultOf(await server.enroll(bad))).toMatchObject({ subcode: 's:CertificateRequest' });
  });
});

describe('enrollment service: Federated tokens', () => {
  it('accepts a configured token as sent or base64-encoded (its EncodingType), nothing else', async () => {
    const { server } = setup({ authPolicy: 'Federated', tokens: ['tok-1', 'dG9rLTI='] });
    const accepted = async (token: string): Promise<boolean> =>
      at(
        readXml(await server.policies(policiesXml('x', binaryToken(token)))),
        'Envelope',
        'Body',
        'GetPoliciesResponse',
      ) !== undefined;
    expect(await accepted(Buffer.from('tok-1').toString('base64'))).toBe(true);
    expect(await accepted('tok-1')).toBe(true);
    expect(await accepted('dG9rLTI=')).toBe(true);
    expect(await accepted(Buffer.from('tok-3').toString('base64'))).toBe(false);
    const jwt = binaryToken('tok-1', 'urn:ietf:params:oauth:token-type:jwt');
    expect(
      at(
        readXml(await server.policies(policiesXml('x', jwt))),
        'Envelope',
        'Body',
        'GetPoliciesResponse',
      ),
    ).toBeDefined();
    const other = binaryToken('tok-1', 'urn:example:other');
    expect(faultOf(await server.policies(policiesXml('x', other))).subcode).toBe(
      'a:InvalidSecurity',
    );
  });
});

describe('enrollment service: the provisioning document', () => {
  it('parses with the core parser; a Device enrollment goes to the system stores', async () => {
    const { server, registry } = setup();
    const context = { ...deviceContext('DEV', 'HW'), EnrollmentType: 'Device' };
    const { xml } = provisioningOf(await server.enroll(enrollXml('x', security, 'CSR', context)));
    const doc = parseProvisioningDoc(xml);
    const find = (cs: readonly WapCharacteristic[], type: string): WapCharacteristic => {
      const c = cs.find((x) => x.type === type);
      if (!c) throw new Error(`no ${type}`);
      return c;
    };
    const store = find(doc.characteristics, 'CertificateStore');
    const my = find(store.children, 'My');
    expect(find(my.children, 'System').children.map((c) => c.type)).toEqual([
      'D'.repeat(40),
      'PrivateKeyContainer',
    ]);
    const app = find(doc.characteristics, 'APPLICATION');
    const criteria = app.parms.find((p) => p.name === 'SSLCLIENTCERTSEARCHCRITERIA')?.value;
    expect(criteria).toBe('Subject=CN%3DHW%2COU%3DDMPUSH&Stores=My%5CSystem');
    expect(app.parms.find((p) => p.name === 'BACKCOMPATRETRYDISABLED')).toEqual({
      name: 'BACKCOMPATRETRYDISABLED',
    });
    const poll = find(
      find(find(find(doc.characteristics, 'DMClient').children, 'Provider').children, 'DMPUSH')
        .children,
      'Poll',
    );
    expect(poll.parms.every((p) => p.datatype === 'integer' || p.datatype === 'boolean')).toBe(
      true,
    );
    expect(registry.get('DEV')).toMatchObject({ enrollmentType: 'Device', nonce: null });
  });

  it('names bad settings before anything is served', () => {
    expect(() => setup({ authPolicy: 'OnPremise' })).toThrow(ValidationError);
    expect(() => setup({ authPolicy: 'Federated', tokens: [' '] })).toThrow(
      /enrollment.tokens\[0\]/,
    );
    expect(() => setup({ authPolicy: 'Kerberos' as 'OnPremise', users: [USER] })).toThrow(
      /authPolicy: expected OnPremise or Federated/,
    );
  });
});
