/**
 * The certificate side of the spec enrollment server (test/helpers/spec-enroll-server.ts): a test
 * CA, the server's TLS certificate, device certificates issued from PKCS#10 requests, and the
 * provisioning document returned to the device (MS-MDE2 §4.3's sample; "w7 APPLICATION CSP";
 * "DMClient CSP"). Written from the specifications with @peculiar/x509 and node:crypto; nothing
 * here comes from the project's own enrollment code.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import { SystemClock } from '../../src/adapters/clock/system-clock.js';

(x509.cryptoProvider.set as (crypto: unknown) => void).call(x509.cryptoProvider, webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const wall = new SystemClock();

/** The test CA and the server's TLS key and certificate. */
export interface TestPki {
  readonly caCert: x509.X509Certificate;
  readonly caKey: webcrypto.CryptoKey;
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

/** A CA and a server certificate for 127.0.0.1 and localhost. */
export async function makeTestPki(): Promise<TestPki> {
  const now = wall.now();
  const ca = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Spec Enrollment Test CA',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    keys: ca,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  const server = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost',
    issuer: caCert.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    publicKey: server.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const serverKey = await webcrypto.subtle.exportKey('pkcs8', server.privateKey);
  return {
    caCert,
    caKey: ca.privateKey,
    caPem: caCert.toString('pem'),
    serverCertPem: serverCert.toString('pem'),
    serverKeyPem: x509.PemConverter.encode(serverKey, 'PRIVATE KEY'),
  };
}

/** SHA-1 of DER, upper-case hex: how CertificateStore names a certificate. */
export function sha1Thumbprint(der: ArrayBuffer): string {
  return createHash('sha1').update(Buffer.from(der)).digest('hex').toUpperCase();
}

/** Why a certificate request is refused, or its parsed form. */
export type CsrCheck =
  | { readonly ok: true; readonly csr: x509.Pkcs10CertificateRequest }
  | { readonly ok: false; readonly why: string };

/** Reads a base64 DER PKCS#10 request, verifies its signature and that its subject is not empty. */
export async function checkCsr(base64: string): Promise<CsrCheck> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(Buffer.from(base64.replace(/\s+/g, ''), 'base64'));
  } catch {
    return { ok: false, why: 'the PKCS#10 request cannot be read' };
  }
  if (!(await csr.verify())) return { ok: false, why: 'the PKCS#10 signature does not verify' };
  if (csr.subject.trim() === '') return { ok: false, why: 'the PKCS#10 subject is empty' };
  return { ok: true, csr };
}

/** Signs a device certificate for the request's key, subject `CN=<devId>`, client auth. */
export async function issueDeviceCertificate(
  pki: TestPki,
  csr: x509.Pkcs10CertificateRequest,
  devId: string,
): Promise<x509.X509Certificate> {
  const now = wall.now();
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [devId] }],
    issuer: pki.caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY),
    publicKey: csr.publicKey,
    signingKey: pki.caKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
}

/** What the provisioning document configures. */
export interface ProvisioningValues {
  readonly caDer: ArrayBuffer;
  readonly deviceDer: ArrayBuffer;
  /** `User` (EnrollmentType Full) or `System` (Device). */
  readonly myLocation: 'User' | 'System';
  readonly providerId: string;
  readonly managementUrl: string;
  /** APPSRV account (what the device presents), CLIENT secret (what the server presents). */
  readonly appsrv: { readonly name: string; readonly secret: string; readonly nonce: string };
  readonly client: { readonly secret: string; readonly nonce: string };
}

const esc = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

const parm = (name: string, value?: string, datatype?: string): string =>
  `<parm name="${esc(name)}"${value === undefined ? '' : ` value="${esc(value)}"`}${
    datatype === undefined ? '' : ` datatype="${datatype}"`
  }/>`;

/** The wap-provisioningdoc text for one device. */
export function provisioningXml(v: ProvisioningValues): string {
  const b64 = (der: ArrayBuffer): string => Buffer.from(der).toString('base64');
  return [
    '<wap-provisioningdoc version="1.1">',
    '<characteristic type="CertificateStore"><characteristic type="Root"><characteristic type="System">',
    `<characteristic type="${sha1Thumbprint(v.caDer)}">${parm('EncodedCertificate', b64(v.caDer))}</characteristic>`,
    '</characteristic></characteristic></characteristic>',
    `<characteristic type="CertificateStore"><characteristic type="My"><characteristic type="${v.myLocation}">`,
    `<characteristic type="${sha1Thumbprint(v.deviceDer)}">${parm('EncodedCertificate', b64(v.deviceDer))}</characteristic>`,
    '<characteristic type="PrivateKeyContainer"/></characteristic>',
    '<characteristic type="WSTEP"><characteristic type="Renew">',
    parm('ROBOSupport', 'true', 'boolean') +
      parm('RenewPeriod', '42', 'integer') +
      parm('RetryInterval', '4', 'integer'),
    '</characteristic></characteristic></characteristic></characteristic>',
    '<characteristic type="APPLICATION">',
    parm('APPID', 'w7') + parm('PROVIDER-ID', v.providerId) + parm('NAME', v.providerId),
    parm('ADDR', v.managementUrl) +
      parm('CONNRETRYFREQ', '6') +
      parm('INITIALBACKOFFTIME', '30000'),
    parm('MAXBACKOFFTIME', '120000') + parm('BACKCOMPATRETRYDISABLED'),
    parm('DEFAULTENCODING', 'application/vnd.syncml.dm+xml'),
    parm('SSLCLIENTCERTSEARCHCRITERIA', `Subject=CN%3d${'device'}&Stores=My%5C${v.myLocation}`),
    '<characteristic type="APPAUTH">',
    parm('AAUTHLEVEL', 'CLIENT') + parm('AAUTHTYPE', 'DIGEST'),
    parm('AAUTHSECRET', v.client.secret) + parm('AAUTHDATA', v.client.nonce),
    '</characteristic><characteristic type="APPAUTH">',
    parm('AAUTHLEVEL', 'APPSRV') + parm('AAUTHTYPE', 'DIGEST') + parm('AAUTHNAME', v.appsrv.name),
    parm('AAUTHSECRET', v.appsrv.secret) + parm('AAUTHDATA', v.appsrv.nonce),
    '</characteristic></characteristic>',
    `<characteristic type="DMClient"><characteristic type="Provider"><characteristic type="${esc(v.providerId)}">`,
    parm('EntDMID', v.appsrv.name, 'string'),
    '<characteristic type="Poll">',
    parm('NumberOfFirstRetries', '8', 'integer') +
      parm('IntervalForFirstSetOfRetries', '15', 'integer'),
    parm('NumberOfSecondRetries', '5', 'integer') +
      parm('IntervalForSecondSetOfRetries', '3', 'integer'),
    parm('NumberOfRemainingScheduledRetries', '0', 'integer'),
    parm('IntervalForRemainingScheduledRetries', '1560', 'integer') +
      parm('PollOnLogin', 'true', 'boolean'),
    '</characteristic></characteristic></characteristic></characteristic>',
    '</wap-provisioningdoc>',
  ].join('');
}
