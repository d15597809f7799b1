/**
 * The reference server's local enrollment CA (the `EnrollmentCa` port of
 * `src/mdm-server/enrollment/ca.ts`), with `@peculiar/x509` and Node's WebCrypto. Like the TLS CA
 * of `src/adapters/tls/certificates.ts`, it is generated once and kept in a directory
 * (`enrollment-ca.pem`, `enrollment-ca-key.pem`), so devices enrolled before a restart still
 * chain to it; without a directory it lives in memory.
 *
 * RSA 2048 with SHA-256, as Fleet's WSTEP identity (fleetdm/fleet `server/mdm/microsoft/wstep.go`).
 * A device certificate is issued as Fleet issues it: subject `CN={HWDevID}, OU={provider id}`, key
 * usages digitalSignature and keyEncipherment, extended key usage clientAuth, not a CA; valid
 * for the policy's 365 days (from an hour before issue, an assumption: Fleet backdates by the
 * renewal period). The request must verify, name a subject (Fleet checks both) and, for RSA,
 * have at least the policy's 2048 bits.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { selfSignedCa } from '../tls/certificates.js';
import { join } from 'node:path';
import {
  CsrRejectedError,
  type CaCertificate,
  type DeviceSubject,
  type EnrollmentCa,
  type IssuedDeviceCertificate,
} from '../../mdm-server/enrollment/ca.js';
import { POLICY } from '../../mdm-server/enrollment/soap-response.js';

type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;
const HOUR = 3600_000;

/** Files of the CA in its directory. */
const ENROLLMENT_CA_FILES = {
  certificate: 'enrollment-ca.pem',
  key: 'enrollment-ca-key.pem',
} as const;

/** SHA-1 of a certificate's DER, uppercase hex: its Windows thumbprint. */
const thumbprintOf = (der: ArrayBuffer | Uint8Array): string =>
  createHash('sha1').update(new Uint8Array(der)).digest('hex').toUpperCase();

const base64Of = (der: ArrayBuffer): string => Buffer.from(der).toString('base64');

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

/** Reads a base64 DER CSR; rejects one that does not verify, names no subject or has a short key. */
async function readRequest(csr: string): Promise<x509.Pkcs10CertificateRequest> {
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(Buffer.from(csr.replace(/\s+/g, ''), 'base64'));
  } catch {
    throw new CsrRejectedError('not a DER PKCS#10 request in base64');
  }
  if (!(await request.verify().catch(() => false)))
    throw new CsrRejectedError('its signature does not verify');
  if (request.subject.trim() === '') throw new CsrRejectedError('its subject is empty');
  const key = request.publicKey.algorithm as { name: string; modulusLength?: number };
  if (key.name.startsWith('RSA') && (key.modulusLength ?? 0) < POLICY.minimalKeyLength)
    throw new CsrRejectedError(
      `its RSA key has ${key.modulusLength ?? 0} bits (the policy asks for ${POLICY.minimalKeyLength})`,
    );
  return request;
}

/** A local CA that signs device certificates. */
export class LocalEnrollmentCa implements EnrollmentCa {
  readonly root: CaCertificate;

  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly key: CryptoKey,
    private readonly now: () => number,
    /** Where the CA is kept, or null in memory. */
    readonly dir: string | null,
  ) {
    this.root = {
      certificate: base64Of(certificate.rawData),
      thumbprint: thumbprintOf(certificate.rawData),
    };
  }

  /** The CA certificate, PEM (what a device trusts). */
  get pem(): string {
    return this.certificate.toString('pem');
  }

  /**
   * The CA kept in `dir` (generated there the first time), or a new one in memory when `dir`
   * is undefined. `now` dates the certificates (epoch ms).
   */
  static async open(dir: string | undefined, now: () => number): Promise<LocalEnrollmentCa> {
    // Node's WebCrypto; the library's typings name the DOM's `Crypto`, absent from Node's types.
    (x509.cryptoProvider.set as (crypto: unknown) => void).call(x509.cryptoProvider, webcrypto);
    if (dir !== undefined) {
      const certPath = join(dir, ENROLLMENT_CA_FILES.certificate);
      const keyPath = join(dir, ENROLLMENT_CA_FILES.key);
      if (existsSync(certPath) && existsSync(keyPath)) {
        const der = x509.PemConverter.decodeFirst(readFileSync(keyPath, 'utf8'));
        const key = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
        const certificate = new x509.X509Certificate(readFileSync(certPath, 'utf8'));
        return new LocalEnrollmentCa(certificate, key, now, dir);
      }
    }
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const certificate = await selfSignedCa(
      'CN=dmpush enrollment CA, O=dmpush',
      keys,
      ALGORITHM,
      now(),
    );
    if (dir !== undefined) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
      writeFileSync(join(dir, ENROLLMENT_CA_FILES.certificate), certificate.toString('pem'));
      writeFileSync(
        join(dir, ENROLLMENT_CA_FILES.key),
        x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
        { mode: 0o600 },
      );
    }
    return new LocalEnrollmentCa(certificate, keys.privateKey, now, dir ?? null);
  }

  async issue(csr: string, subject: DeviceSubject): Promise<IssuedDeviceCertificate> {
    const request = await readRequest(csr);
    const now = this.now();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: [{ CN: [subject.commonName] }, { OU: [subject.organizationalUnit] }],
      issuer: this.certificate.subjectName,
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + POLICY.validityPeriodSeconds * 1000),
      publicKey: request.publicKey,
      signingKey: this.key,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate, false),
      ],
    });
    return {
      certificate: base64Of(certificate.rawData),
      thumbprint: thumbprintOf(certificate.rawData),
      subject: certificate.subject,
    };
  }
}
