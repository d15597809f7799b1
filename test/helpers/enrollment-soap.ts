/**
 * Hand-written MS-MDE2 requests for testing the reference server's enrollment service, written
 * from the protocol's samples (Microsoft's "On-premises authentication device enrollment":
 * Discover, GetPolicies, RequestSecurityToken) — independent of the project's own client code,
 * so the two sides check each other — plus a reader for the answers and a CSR maker.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';

const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const WSA = 'http://www.w3.org/2005/08/addressing';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const PASSWORD_TEXT =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
export const USER_TOKEN =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The WS-Addressing header of a request; `omit` drops one field. */
function addressing(action: string, to: string, omit?: 'MessageID' | 'ReplyTo' | 'To'): string {
  return [
    `<a:Action s:mustUnderstand="1">${action}</a:Action>`,
    omit === 'MessageID'
      ? ''
      : '<a:MessageID>urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478</a:MessageID>',
    omit === 'ReplyTo'
      ? ''
      : '<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>',
    omit === 'To' ? '' : `<a:To s:mustUnderstand="1">${escape(to)}</a:To>`,
  ].join('\n');
}

/** A WS-Security header with a UsernameToken (OnPremise). */
export const usernameToken = (user: string, password: string, type = PASSWORD_TEXT): string =>
  `<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken u:Id="uuid-cc1ccc1f-2fba-4bcf-b063-ffc0cac77917-4">
<wsse:Username>${escape(user)}</wsse:Username>
<wsse:Password wsse:Type="${type}">${escape(password)}</wsse:Password>
</wsse:UsernameToken></wsse:Security>`;

/** A WS-Security header with a BinarySecurityToken (Federated). */
export const binaryToken = (token: string, valueType = USER_TOKEN): string =>
  `<wsse:Security s:mustUnderstand="1"><wsse:BinarySecurityToken ValueType="${valueType}" EncodingType="${WSSE}#base64binary">${escape(token)}</wsse:BinarySecurityToken></wsse:Security>`;

const envelope = (header: string, body: string): string =>
  `<?xml version="1.0"?>
<s:Envelope xmlns:s="${SOAP}" xmlns:a="${WSA}" xmlns:u="${WSU}" xmlns:wsse="${WSSE}"
  xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512" xmlns:ac="http://schemas.xmlsoap.org/ws/2006/12/authorization">
<s:Header>${header}</s:Header>
<s:Body>${body}</s:Body>
</s:Envelope>`;

export interface DiscoverOptions {
  readonly to: string;
  readonly requestVersion?: string;
  readonly deviceType?: string;
  readonly authPolicies?: readonly string[];
  readonly omit?: 'MessageID' | 'ReplyTo' | 'To';
}

/** A Discover request (MS-MDE2 §3.1, the sample's fields). */
export function discoverXml(o: DiscoverOptions): string {
  const policies = (o.authPolicies ?? ['OnPremise'])
    .map((p) => `<AuthPolicy>${p}</AuthPolicy>`)
    .join('');
  return envelope(
    addressing(
      'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover',
      o.to,
      o.omit,
    ),
    `<Discover xmlns="http://schemas.microsoft.com/windows/management/2012/01/enrollment">
<request xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
<EmailAddress>user@contoso.com</EmailAddress>
<RequestVersion>${o.requestVersion ?? '5.0'}</RequestVersion>
<DeviceType>${o.deviceType ?? 'CIMClient_Windows'}</DeviceType>
<ApplicationVersion>10.0.26100.1</ApplicationVersion>
<OSEdition>72</OSEdition>
<AuthPolicies>${policies}</AuthPolicies>
</request></Discover>`,
  );
}

/** A GetPolicies request (MS-XCEP, the MS-MDE2 sample), with `security` in its header. */
export function policiesXml(to: string, security: string): string {
  return envelope(
    addressing(
      'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies',
      to,
    ) + security,
    `<GetPolicies xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<client><lastUpdate xsi:nil="true"/><preferredLanguage xsi:nil="true"/></client>
<requestFilter xsi:nil="true"/></GetPolicies>`,
  );
}

/** The AdditionalContext of a Windows 11 device, as Fleet's test client sends it. */
export function deviceContext(deviceId: string, hwDevId: string): Record<string, string> {
  return {
    UXInitiated: 'true',
    HWDevID: hwDevId,
    Locale: 'en-US',
    TargetedUserLoggedIn: 'true',
    OSEdition: '72',
    DeviceName: `DESKTOP-${deviceId.slice(0, 6)}`,
    MAC: '00-15-5D-00-00-01',
    DeviceID: deviceId,
    EnrollmentType: 'Full',
    DeviceType: 'CIMClient_Windows',
    OSVersion: '10.0.26100.1',
    ApplicationVersion: '10.0.26100.1',
    NotInOobe: 'false',
  };
}

/** A RequestSecurityToken (MS-WSTEP, the MS-MDE2 sample) carrying `csr` (base64 DER). */
export function enrollXml(
  to: string,
  security: string,
  csr: string,
  context: Record<string, string>,
  tokenValueType = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10',
): string {
  const items = Object.entries(context)
    .map(
      ([name, value]) =>
        `<ac:ContextItem Name="${name}"><ac:Value>${escape(value)}</ac:Value></ac:ContextItem>`,
    )
    .join('\n');
  return envelope(
    addressing('http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep', to) +
      security,
    `<wst:RequestSecurityToken>
<wst:TokenType>http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken</wst:TokenType>
<wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</wst:RequestType>
<wsse:BinarySecurityToken ValueType="${tokenValueType}" EncodingType="${WSSE}#base64binary">${csr}</wsse:BinarySecurityToken>
<ac:AdditionalContext xmlns="http://schemas.xmlsoap.org/ws/2006/12/authorization">
${items}
</ac:AdditionalContext>
</wst:RequestSecurityToken>`,
  );
}

const PARSER = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => ['characteristic', 'parm'].includes(name),
});

/** Reads an XML answer into a tree (namespace prefixes removed, attributes as `@_name`). */
export const readXml = (xml: string): unknown => PARSER.parse(xml) as unknown;

/** The value at `path` in a tree {@link readXml} read; undefined when absent. */
export function at(tree: unknown, ...path: readonly (string | number)[]): unknown {
  let node = tree;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** The text at `path` (an element's text, or an attribute); throws when there is none. */
export function textAt(tree: unknown, ...path: readonly (string | number)[]): string {
  const node = at(tree, ...path);
  const text = typeof node === 'object' && node !== null ? at(node, '#text') : node;
  if (typeof text !== 'string') throw new Error(`no text at ${path.join('/')}`);
  return text;
}

/** A `characteristic` of a provisioning document as {@link readXml} reads it. */
export interface Characteristic {
  readonly '@_type': string;
  readonly parm?: readonly { '@_name': string; '@_value'?: string; '@_datatype'?: string }[];
  readonly characteristic?: readonly Characteristic[];
}

/** The child characteristic of `c` of `type`. */
export function sub(c: Characteristic | undefined, type: string): Characteristic {
  const found = c?.characteristic?.find((x) => x['@_type'] === type);
  if (!found) throw new Error(`no characteristic ${type} under ${c?.['@_type']}`);
  return found;
}

/** The parms of `c`, by name. */
export const parms = (c: Characteristic): Record<string, string | undefined> =>
  Object.fromEntries((c.parm ?? []).map((p) => [p['@_name'], p['@_value']]));

/** The provisioning document in an enrollment answer: its root characteristics. */
export function provisioningOf(answer: string): {
  readonly xml: string;
  readonly version: string;
  readonly characteristics: readonly Characteristic[];
} {
  const path = [
    'Envelope',
    'Body',
    'RequestSecurityTokenResponseCollection',
    'RequestSecurityTokenResponse',
    'RequestedSecurityToken',
    'BinarySecurityToken',
  ];
  const xml = Buffer.from(textAt(readXml(answer), ...path), 'base64').toString('utf8');
  const doc = readXml(xml);
  return {
    xml,
    version: textAt(doc, 'wap-provisioningdoc', '@_version'),
    characteristics: at(doc, 'wap-provisioningdoc', 'characteristic') as Characteristic[],
  };
}

/** An RSA-2048 key pair, as the Windows enrollment client makes (the policy's minimal length). */
export function rsaKeys(modulusLength = 2048): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      modulusLength,
      publicExponent: new Uint8Array([1, 0, 1]),
    },
    true,
    ['sign', 'verify'],
  );
}

/** A PKCS#10 request for `keys`, base64 DER (what the BinarySecurityToken carries). */
export async function makeCsr(keys: webcrypto.CryptoKeyPair, name: string): Promise<string> {
  (x509.cryptoProvider.set as (crypto: unknown) => void).call(x509.cryptoProvider, webcrypto);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  });
  return Buffer.from(csr.rawData).toString('base64');
}

const md5 = (data: Buffer | string): Buffer => createHash('md5').update(data).digest();

/** `B64(MD5(B64(MD5(name:secret)):nonce))` with node:crypto, `nonce` being the decoded NextNonce. */
export function md5Digest(name: string, secret: string, nonce: Buffer): string {
  const hash = md5(`${name}:${secret}`).toString('base64');
  return md5(Buffer.concat([Buffer.from(`${hash}:`), nonce])).toString('base64');
}

/** What a device keeps from its enrollment (read from the provisioning document). */
export interface EnrolledCredential {
  readonly name: string;
  readonly secret: string;
  /** AAUTHDATA, decoded. */
  readonly initialNonce: Buffer;
  readonly managementUrl: string;
}

/**
 * Runs RequestSecurityToken for `deviceId` against `enrollmentUrl` and reads the w7 APPSRV
 * credential and ADDR from the answer's provisioning document.
 */
export async function enrollDevice(
  enrollmentUrl: string,
  security: string,
  keys: webcrypto.CryptoKeyPair,
  deviceId: string,
  hwDevId = `HW-${deviceId}`,
): Promise<EnrolledCredential> {
  const csr = await makeCsr(keys, `CN=${deviceId}`);
  const res = await fetch(enrollmentUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    body: enrollXml(enrollmentUrl, security, csr, deviceContext(deviceId, hwDevId)),
  });
  const { characteristics } = provisioningOf(await res.text());
  const app = characteristics.find((c) => c['@_type'] === 'APPLICATION') as Characteristic;
  const appsrv = (app.characteristic ?? [])
    .map(parms)
    .find((v) => v['AAUTHLEVEL'] === 'APPSRV') as Record<string, string>;
  return {
    name: appsrv['AAUTHNAME'] as string,
    secret: appsrv['AAUTHSECRET'] as string,
    initialNonce: Buffer.from(appsrv['AAUTHDATA'] as string, 'base64'),
    managementUrl: parms(app)['ADDR'] as string,
  };
}
