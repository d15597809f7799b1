/**
 * The messages of the spec enrollment server (test/helpers/spec-enroll-server.ts): its own XML
 * templates for DiscoverResponse, GetPoliciesResponse, RequestSecurityTokenResponseCollection and
 * SOAP faults, and its own reading of the requests (fast-xml-parser, prefixes removed), written
 * from MS-MDE2 §3.1–§3.4 and its samples.
 */
import { XMLParser } from 'fast-xml-parser';
import { randomBytes } from 'node:crypto';
import {
  checkCsr,
  issueDeviceCertificate,
  provisioningXml,
  sha1Thumbprint,
  type TestPki,
} from './spec-enroll-pki.js';
import type { SpecEnrollServerOptions, SpecIssued } from './spec-enroll-server.js';

const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://www.w3.org/2005/08/addressing',
  u: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  o: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  enroll: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment',
  policy: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy',
  wst: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  wstep: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment',
};
/** Each stage's request and response actions. */
export const ACTIONS = {
  discovery: [
    `${NS.enroll}/IDiscoveryService/Discover`,
    `${NS.enroll}/IDiscoveryService/DiscoverResponse`,
  ],
  policy: [`${NS.policy}/IPolicy/GetPolicies`, `${NS.policy}/IPolicy/GetPoliciesResponse`],
  enroll: [`${NS.wstep}/RST/wstep`, `${NS.wstep}/RSTRC/wstep`],
} as const;
const PASSWORD_TEXT =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
const USER_TOKEN =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';
const TOKEN_TYPE =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken';
const PKCS10 = `${NS.wstep}#PKCS10`;
const BASE64 = `${NS.o}#base64binary`;
const PROVISION_DOC =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc';

type Node = Record<string, unknown>;

/** Reads requests: prefixes removed, values as text. */
export const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => name === 'ContextItem' || name === 'AuthPolicy',
});

const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function get(node: unknown, ...path: string[]): unknown {
  let at: unknown = node;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Node)[key];
  }
  return at;
}

function str(node: unknown): string {
  if (typeof node === 'string') return node.trim();
  const text = get(node, '#text');
  return typeof text === 'string' ? text.trim() : '';
}

/** A refusal: the fault the server answers with. */
export class Refusal extends Error {
  constructor(
    readonly subcode: string,
    readonly reason: string,
    readonly prefix: 's' | 'a' = 's',
  ) {
    super(`${prefix}:${subcode}: ${reason}`);
  }
}

/** A SOAP 1.2 response envelope. */
export function envelope(action: string, relatesTo: string, body: string): string {
  return (
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:u="${NS.u}"><s:Header>` +
    `<a:Action s:mustUnderstand="1">${action}</a:Action>` +
    `<a:RelatesTo>${esc(relatesTo)}</a:RelatesTo></s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** A SOAP 1.2 fault envelope (MS-MDE2 §2.2.10). */
export function faultXml(action: string, relatesTo: string, refusal: Refusal): string {
  return envelope(
    action,
    relatesTo,
    `<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>${refusal.prefix}:${esc(refusal.subcode)}` +
      `</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">${esc(refusal.reason)}</s:Text>` +
      '</s:Reason></s:Fault>',
  );
}

/** Checks the WS-Addressing header (Fleet requires MessageID, ReplyTo and To); returns MessageID. */
export function checkHeader(doc: unknown, action: string): string {
  const header = get(doc, 'Envelope', 'Header');
  if (str(get(header, 'Action')) !== action)
    throw new Refusal('MessageFormat', `Action is not ${action}`);
  const messageId = str(get(header, 'MessageID'));
  if (!messageId.startsWith('urn:uuid:'))
    throw new Refusal('MessageFormat', 'MessageID is not urn:uuid:…');
  if (str(get(header, 'ReplyTo', 'Address')) === '')
    throw new Refusal('MessageFormat', 'no ReplyTo');
  if (str(get(header, 'To')) === '') throw new Refusal('MessageFormat', 'no To');
  return messageId;
}

function checkCredentials(doc: unknown, options: SpecEnrollServerOptions): void {
  const security = get(doc, 'Envelope', 'Header', 'Security');
  if (security === undefined) throw new Refusal('InvalidSecurity', 'no wsse:Security header', 'a');
  if ((options.authPolicy ?? 'OnPremise') === 'OnPremise') {
    const token = get(security, 'UsernameToken');
    const password = get(token, 'Password');
    if (token === undefined || get(password, '@Type') !== PASSWORD_TEXT) {
      throw new Refusal(
        'InvalidSecurity',
        'expected a UsernameToken with a PasswordText password',
        'a',
      );
    }
    const user = str(get(token, 'Username'));
    const known = options.users?.[user];
    if (known === undefined || known !== str(password)) {
      throw new Refusal('Authentication', 'user not recognized');
    }
    return;
  }
  const token = get(security, 'BinarySecurityToken');
  if (get(token, '@ValueType') !== USER_TOKEN || get(token, '@EncodingType') !== BASE64) {
    throw new Refusal(
      'InvalidSecurity',
      'expected a DeviceEnrollmentUserToken BinarySecurityToken',
      'a',
    );
  }
  const decoded = Buffer.from(str(token), 'base64').toString('utf8');
  if (!(options.tokens ?? []).includes(decoded))
    throw new Refusal('Authentication', 'token not recognized');
}

function contextOf(rst: unknown): Record<string, string[]> {
  const items = get(rst, 'AdditionalContext', 'ContextItem');
  const context: Record<string, string[]> = {};
  for (const item of Array.isArray(items) ? (items as unknown[]) : []) {
    const name = str(get(item, '@Name'));
    (context[name] ??= []).push(str(get(item, 'Value')));
  }
  return context;
}

/** The server's state, shared by its handlers. */
export interface State {
  readonly pki: TestPki;
  readonly origin: string;
  readonly options: SpecEnrollServerOptions;
  readonly issued: SpecIssued[];
}

export function discoverResponse(state: State, doc: unknown): string {
  const request = get(doc, 'Envelope', 'Body', 'Discover', 'request');
  if (str(get(request, 'RequestVersion')) === '' || str(get(request, 'DeviceType')) === '') {
    throw new Refusal('MessageFormat', 'RequestVersion and DeviceType are required');
  }
  const policies = get(request, 'AuthPolicies', 'AuthPolicy');
  const offered = Array.isArray(policies) ? policies.map(str) : [];
  const policy = state.options.authPolicy ?? 'OnPremise';
  if (!offered.includes(policy)) throw new Refusal('MessageFormat', `AuthPolicies lacks ${policy}`);
  const base = `${state.origin}/EnrollmentServer`;
  return (
    `<DiscoverResponse xmlns="${NS.enroll}"><DiscoverResult><AuthPolicy>${policy}</AuthPolicy>` +
    `<EnrollmentVersion>${state.options.enrollmentVersion ?? '4.0'}</EnrollmentVersion>` +
    (state.options.policyService === false
      ? ''
      : `<EnrollmentPolicyServiceUrl>${base}/Policy.svc</EnrollmentPolicyServiceUrl>`) +
    `<EnrollmentServiceUrl>${base}/Enrollment.svc</EnrollmentServiceUrl>` +
    (policy === 'Federated'
      ? `<AuthenticationServiceUrl>${state.origin}/auth</AuthenticationServiceUrl>`
      : '') +
    '</DiscoverResult></DiscoverResponse>'
  );
}

export function policiesResponse(state: State, doc: unknown): string {
  checkCredentials(doc, state.options);
  if (get(doc, 'Envelope', 'Body', 'GetPolicies') === undefined) {
    throw new Refusal('MessageFormat', 'no GetPolicies');
  }
  const hashOid =
    state.options.hashOid === undefined ? '2.16.840.1.101.3.4.2.1' : state.options.hashOid;
  const nil = 'xsi:nil="true"';
  return (
    `<GetPoliciesResponse xmlns="${NS.policy}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<response><policyID/><policyFriendlyName ${nil}/><nextUpdateHours ${nil}/><policiesNotChanged ${nil}/>` +
    '<policies><policy><policyOIDReference>0</policyOIDReference><cAs xsi:nil="true"/><attributes>' +
    '<commonName>SpecTest</commonName><policySchema>3</policySchema><certificateValidity>' +
    '<validityPeriodSeconds>31536000</validityPeriodSeconds><renewalPeriodSeconds>15552000</renewalPeriodSeconds>' +
    '</certificateValidity><permission><enroll>true</enroll><autoEnroll>false</autoEnroll></permission>' +
    `<privateKeyAttributes><minimalKeyLength>${state.options.minimalKeyLength ?? 2048}</minimalKeyLength>` +
    `<keySpec ${nil}/><keyUsageProperty ${nil}/><permissions ${nil}/><algorithmOIDReference ${nil}/>` +
    `<cryptoProviders ${nil}/></privateKeyAttributes><revision><majorRevision>101</majorRevision>` +
    '<minorRevision>0</minorRevision></revision>' +
    (hashOid === null
      ? `<hashAlgorithmOIDReference ${nil}/>`
      : '<hashAlgorithmOIDReference>0</hashAlgorithmOIDReference>') +
    '</attributes></policy></policies></response><cAs xsi:nil="true"/><oIDs>' +
    (hashOid === null
      ? ''
      : `<oID><value>${hashOid}</value><group>1</group><oIDReferenceID>0</oIDReferenceID><defaultName>hash</defaultName></oID>`) +
    '</oIDs></GetPoliciesResponse>'
  );
}

export async function enrollResponse(state: State, doc: unknown): Promise<string> {
  checkCredentials(doc, state.options);
  const rst = get(doc, 'Envelope', 'Body', 'RequestSecurityToken');
  if (str(get(rst, 'TokenType')) !== TOKEN_TYPE) throw new Refusal('MessageFormat', 'TokenType');
  if (str(get(rst, 'RequestType')) !== `${NS.wst}/Issue`)
    throw new Refusal('MessageFormat', 'RequestType');
  const bst = get(rst, 'BinarySecurityToken');
  if (get(bst, '@ValueType') !== PKCS10 || get(bst, '@EncodingType') !== BASE64) {
    throw new Refusal('MessageFormat', 'expected a base64 PKCS#10 BinarySecurityToken');
  }
  const context = contextOf(rst);
  const devId = context.DeviceID?.[0] ?? '';
  const enrollmentType = context.EnrollmentType?.[0] ?? '';
  if (devId === '' || (context.HWDevID?.[0] ?? '') === '') {
    throw new Refusal('MessageFormat', 'DeviceID and HWDevID are required');
  }
  if (enrollmentType !== 'Full' && enrollmentType !== 'Device') {
    throw new Refusal('MessageFormat', `EnrollmentType ${enrollmentType}`);
  }
  const checked = await checkCsr(str(bst));
  if (!checked.ok) throw new Refusal('CertificateRequest', checked.why);
  const certificate = await issueDeviceCertificate(state.pki, checked.csr, devId);
  const xml = provisioningXml({
    caDer: state.pki.caCert.rawData,
    deviceDer: certificate.rawData,
    myLocation: enrollmentType === 'Device' ? 'System' : 'User',
    providerId: state.options.providerId ?? 'SpecTestMDM',
    managementUrl: state.options.managementUrl ?? `${state.origin}/ManagementServer/MDM.svc`,
    appsrv: {
      name: devId,
      secret: randomBytes(12).toString('hex'),
      nonce: randomBytes(16).toString('base64'),
    },
    client: { secret: randomBytes(12).toString('hex'), nonce: randomBytes(16).toString('base64') },
  });
  const algorithm = checked.csr.signatureAlgorithm as { hash?: { name?: string } };
  const publicKey = checked.csr.publicKey.algorithm as { modulusLength?: number };
  state.issued.push({
    devId,
    subject: certificate.subject,
    thumbprint: sha1Thumbprint(certificate.rawData),
    pem: certificate.toString('pem'),
    csrSubject: checked.csr.subject,
    csrHash: algorithm.hash?.name ?? '',
    csrKeyBits: publicKey.modulusLength ?? 0,
    context,
    provisioningXml: xml,
  });
  return (
    `<RequestSecurityTokenResponseCollection xmlns="${NS.wst}"><RequestSecurityTokenResponse>` +
    `<TokenType>${TOKEN_TYPE}</TokenType><DispositionMessage xmlns="${NS.wstep}"/>` +
    `<RequestedSecurityToken><BinarySecurityToken ValueType="${PROVISION_DOC}" EncodingType="${BASE64}" xmlns="${NS.o}">` +
    `${Buffer.from(state.options.tamper?.(xml) ?? xml, 'utf8').toString('base64')}</BinarySecurityToken></RequestedSecurityToken>` +
    `<RequestID xmlns="${NS.wstep}">0</RequestID></RequestSecurityTokenResponse>` +
    '</RequestSecurityTokenResponseCollection>'
  );
}
