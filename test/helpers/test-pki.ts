// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { SystemClock } from '../../src/adapters/clock/system-clock.js';

type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

/** A certificate and its private key, PEM. */
export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A test CA that issues TLS server and client certificates (ECDSA P-256). */
export interface TestPki {
  readonly caPem: string;
  /** A server certificate for `names` (IP addresses or DNS names). */
  server(names: readonly string[]): Promise<Issued>;
  /** A client certificate (`clientAuth`) whose subject is `CN=<commonName>`. */
  client(commonName: string): Promise<Issued>;
}

let serialCounter = 1;

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** Makes a CA named `CN=<name>`; it and what it issues are valid from a day before `now` for a week. */
export async function makeTestPki(
  name = 'dmpush test CA',
  now: number = new SystemClock().now(),
): Promise<TestPki> {
  // Node's WebCrypto; the library's typings name the DOM's `Crypto`, absent from Node's types.
  (x509.cryptoProvider.set as (crypto: unknown) => void).call(x509.cryptoProvider, webcrypto);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: String(serialCounter++).padStart(2, '0'),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 7 * DAY),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const issue = async (
    subject: string,
    usage: string,
    extra: x509.Extension[] = [],
  ): Promise<Issued> => {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: String(serialCounter++).padStart(2, '0'),
      subject,
      issuer: ca.subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 7 * DAY),
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        ...extra,
      ],
    });
    return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
  };
  return {
    caPem: ca.toString('pem'),
    server: (names) =>
      issue('CN=test server', x509.ExtendedKeyUsage.serverAuth, [
        new x509.SubjectAlternativeNameExtension(
          names.map((value) => ({ type: /^[\d.]+$/.test(value) ? 'ip' : 'dns', value })),
        ),
      ]),
    client: (commonName) => issue(`CN=${commonName}`, x509.ExtendedKeyUsage.clientAuth),
  };
}
