/**
 * The device's identity in a provisioning document: the `CertificateStore/My` certificate issued
 * for the device's key (its TLS client certificate for management sessions, MS-MDM §2.1) and the
 * `Root` certificates that come with it.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { ProvisioningDocError } from '../../core/enroll/errors.js';
import { provisionedCertificates } from '../../core/enroll/provisioning-certs.js';
import type { ProvisioningDoc } from '../../core/enroll/wap-doc.js';
import { thumbprint } from './device-key.js';

/** The device certificate found in a provisioning document. */
export interface ProvisionedIdentity {
  /** The certificate, PEM. */
  readonly certificatePem: string;
  /** Its SHA-1 thumbprint, computed (upper-case hexadecimal). */
  readonly thumbprint: string;
  /** The thumbprint the document names it by (the characteristic's type), as written. */
  readonly documentThumbprint: string;
  readonly subject: string;
  readonly issuer: string;
  /** End of validity, epoch milliseconds. */
  readonly notAfter: number;
  /** `My/User` or `My/System`. */
  readonly location: string;
  /** The document's `Root` certificates, PEM. */
  readonly rootsPem: readonly string[];
}

function read(base64: string, path: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(Buffer.from(base64.replace(/\s+/g, ''), 'base64'));
  } catch {
    throw new ProvisioningDocError(path, 'EncodedCertificate is not a DER certificate in base64');
  }
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Finds the `My` certificate whose public key is the device's.
 *
 * @throws {@link ProvisioningDocError} when a certificate cannot be read or none is the device's.
 */
export async function deviceIdentity(
  doc: ProvisioningDoc,
  publicKey: webcrypto.CryptoKey,
): Promise<ProvisionedIdentity> {
  const spki = await webcrypto.subtle.exportKey('spki', publicKey);
  const entries = provisionedCertificates(doc);
  const path = (e: (typeof entries)[number]): string =>
    `CertificateStore/${e.store}/${e.location}/${e.thumbprint}`;
  const roots = entries
    .filter((e) => e.store === 'Root')
    .map((e) => read(e.encodedCertificate, path(e)).toString('pem'));
  for (const entry of entries.filter((e) => e.store === 'My')) {
    const certificate = read(entry.encodedCertificate, path(entry));
    if (!sameBytes(certificate.publicKey.rawData, spki)) continue;
    return {
      certificatePem: certificate.toString('pem'),
      thumbprint: thumbprint(new Uint8Array(certificate.rawData)),
      documentThumbprint: entry.thumbprint,
      subject: certificate.subject,
      issuer: certificate.issuer,
      notAfter: certificate.notAfter.getTime(),
      location: entry.location,
      rootsPem: roots,
    };
  }
  throw new ProvisioningDocError(
    'wap-provisioningdoc',
    "no CertificateStore/My certificate holds the device's public key",
  );
}
