// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { SystemClock } from '../clock/system-clock.js';

/** Host names the emulator answers for by default in TLS mode. */
export const DEFAULT_TLS_NAMES = [
  'localhost',
  '127.0.0.1',
  'login.live.com',
  '*.notify.windows.com',
];

/** The PEM files of a TLS setup, and where they are. */
export interface TlsMaterial {
  /** The local CA's certificate: what users trust (`NODE_EXTRA_CA_CERTS`, system store). */
  readonly caPem: string;
  readonly caPath: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly names: readonly string[];
  /** True when this call generated anything (false when it reused the files). */
  readonly generated: boolean;
}

type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR = 365 * 24 * 3600 * 1000;

function toPem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label);
}

async function keyPem(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

/**
 * A self-signed CA certificate named `name` (a DN string), for signing only (keyCertSign, cRLSign,
 * no CA below it), valid from an hour before `now` (epoch ms) for ten years.
 */
export async function selfSignedCa(
  name: string,
  keys: webcrypto.CryptoKeyPair,
  algorithm: webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams,
  now: number,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * YEAR),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
}

/**
 * Makes sure `dir` holds a local CA (`ca.pem`, `ca-key.pem`) and a server certificate signed by
 * it for `names` (`server.pem`, `server-key.pem`), valid from `now`. The CA is generated once and
 * kept, so trusting it once is enough; the server certificate is made again when the names change.
 */
export async function ensureCertificates(
  dir: string,
  names: readonly string[] = DEFAULT_TLS_NAMES,
  now: number = new SystemClock().now(),
): Promise<TlsMaterial> {
  // Node's WebCrypto; the library's typings name the DOM's `Crypto`, absent from Node's types.
  (x509.cryptoProvider.set as (crypto: unknown) => void).call(x509.cryptoProvider, webcrypto);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
    names: join(dir, 'names.json'),
  };
  let generated = false;

  let caPem: string;
  let caKey: CryptoKey;
  let caCert: x509.X509Certificate;
  if (existsSync(paths.ca) && existsSync(paths.caKey)) {
    caPem = readFileSync(paths.ca, 'utf8');
    caKey = await importKey(readFileSync(paths.caKey, 'utf8'));
    caCert = new x509.X509Certificate(caPem);
  } else {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    caCert = await selfSignedCa('CN=dmpush local CA, O=dmpush', keys, ALGORITHM, now);
    caPem = caCert.toString('pem');
    caKey = keys.privateKey;
    writeFileSync(paths.ca, caPem);
    writeFileSync(paths.caKey, await keyPem(keys.privateKey), { mode: 0o600 });
    generated = true;
  }

  const wanted = [...names].sort();
  const current = existsSync(paths.names)
    ? (JSON.parse(readFileSync(paths.names, 'utf8')) as string[])
    : null;
  const reuse =
    !generated &&
    existsSync(paths.cert) &&
    existsSync(paths.key) &&
    JSON.stringify(current) === JSON.stringify(wanted);
  if (!reuse) {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const altNames = names.map((n) => ({
      type: isIP(n) ? ('ip' as const) : ('dns' as const),
      value: n,
    }));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${names.find((n) => !isIP(n) && !n.startsWith('*')) ?? 'localhost'}`,
      issuer: caCert.subject,
      notBefore: new Date(now - 3600_000),
      // Clients reject server certificates valid for more than 825 days.
      notAfter: new Date(now + 800 * 24 * 3600 * 1000),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(altNames),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ],
    });
    writeFileSync(paths.cert, cert.toString('pem'));
    writeFileSync(paths.key, await keyPem(keys.privateKey), { mode: 0o600 });
    writeFileSync(paths.names, JSON.stringify(wanted));
    generated = true;
  }
  return {
    caPem,
    caPath: paths.ca,
    certPem: readFileSync(paths.cert, 'utf8'),
    keyPem: readFileSync(paths.key, 'utf8'),
    names: wanted,
    generated,
  };
}
