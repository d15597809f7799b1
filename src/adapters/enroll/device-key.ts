/**
 * A device's enrollment key pair and its PKCS#10 certificate request, with @peculiar/x509 on
 * Node's WebCrypto (as `../tls/certificates.ts`).
 *
 * What Windows puts in the request (decoded from the captures in fleetdm/fleet
 * `pkg/mdm/mdmtest/windows.go` and a Windows 10 19043 capture in the README of a Windows MDM
 * server demo forked from oscartbeaumont/windows_mdm): an RSA 2048 key, a subject
 * `CN=<…>!<DeviceID>`, an extension request with the client-authentication extended key usage and
 * Microsoft's 1.3.6.1.4.1.311.66.1.0 extension holding the DeviceID (ASCII, NUL-terminated), signed
 * with the policy's hash (SHA-256 under Fleet's policy; SHA-1 when the policy names none). This
 * request has the same extensions and subject `CN=<DeviceID>` (**assumption**: the part before
 * `!` is not documented; servers require only a non-empty subject, as Fleet does).
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import type { CsrHash } from '../../core/enroll/device-profile.js';

/** Microsoft's extension carrying the DeviceID in Windows' enrollment requests. */
const DEVICE_ID_EXTENSION_OID = '1.3.6.1.4.1.311.66.1.0';

/** Smallest RSA key generated, whatever the policy asks (MS-MDE2 servers expect 2048). */
const MIN_KEY_LENGTH = 2048;
/** Largest RSA key generated (a policy asking for more is refused: generation would take minutes). */
const MAX_KEY_LENGTH = 4096;

/** A device key pair. */
export interface DeviceKey {
  readonly keys: webcrypto.CryptoKeyPair;
  /** The private key, PKCS#8 PEM. */
  readonly keyPem: string;
  readonly keyLength: number;
  readonly hash: CsrHash;
}

/** A certificate request. */
export interface CertificateRequest {
  /** DER, base64 (what the BinarySecurityToken carries). */
  readonly base64: string;
  readonly pem: string;
  readonly subject: string;
  readonly hash: CsrHash;
}

function useNodeCrypto(): void {
  // The library's typings name the DOM's `Crypto`, absent from Node's types.
  (x509.cryptoProvider.set as (crypto: unknown) => void).call(x509.cryptoProvider, webcrypto);
}

function rsa(keyLength: number, hash: CsrHash): webcrypto.RsaHashedKeyGenParams {
  return {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: keyLength,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash,
  };
}

/**
 * Generates an RSA key pair for signing with `hash`. `keyLength` is raised to
 * 2048; one above 4096 bits or not a multiple of 8 is refused (a RangeError).
 */
export async function generateDeviceKey(
  options: { readonly keyLength?: number; readonly hash?: CsrHash } = {},
): Promise<DeviceKey> {
  const keyLength = Math.max(options.keyLength ?? MIN_KEY_LENGTH, MIN_KEY_LENGTH);
  if (keyLength > MAX_KEY_LENGTH || keyLength % 8 !== 0) {
    throw new RangeError(
      `key length ${keyLength}: expected a multiple of 8 up to ${MAX_KEY_LENGTH} bits`,
    );
  }
  const hash = options.hash ?? 'SHA-256';
  const keys = await webcrypto.subtle.generateKey(rsa(keyLength, hash), true, ['sign', 'verify']);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keys, keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), keyLength, hash };
}

/** The DeviceID extension's value: the ID's ASCII bytes and a NUL, as Windows writes it. */
function deviceIdValue(devId: string): Uint8Array {
  return new TextEncoder().encode(`${devId}\0`);
}

/** Creates the PKCS#10 request of `key` for the device `devId`. */
export async function createCertificateRequest(
  key: DeviceKey,
  devId: string,
): Promise<CertificateRequest> {
  if (devId === '') throw new RangeError('devId: expected a non-empty device id');
  useNodeCrypto();
  const name = [{ CN: [devId] }];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: key.keys,
    signingAlgorithm: {
      name: 'RSASSA-PKCS1-v1_5',
      hash: key.hash,
    } as webcrypto.RsaHashedImportParams,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      new x509.Extension(DEVICE_ID_EXTENSION_OID, false, deviceIdValue(devId)),
    ],
  });
  return {
    base64: Buffer.from(csr.rawData).toString('base64'),
    pem: csr.toString('pem'),
    subject: csr.subject,
    hash: key.hash,
  };
}

/**
 * A certificate's thumbprint as Windows shows it and as CertificateStore names it: the SHA-1 of
 * its DER, upper-case hexadecimal.
 *
 * @param certificate - DER bytes, or base64 / PEM text.
 */
export function thumbprint(certificate: Uint8Array | string): string {
  return createHash('sha1').update(toDer(certificate)).digest('hex').toUpperCase();
}

function toDer(certificate: Uint8Array | string): Uint8Array {
  if (typeof certificate !== 'string') return certificate;
  const text = certificate.trim();
  if (text.startsWith('-----BEGIN')) return new Uint8Array(x509.PemConverter.decodeFirst(text));
  return Buffer.from(text.replace(/\s+/g, ''), 'base64');
}
