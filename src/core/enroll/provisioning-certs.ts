/**
 * The certificates a provisioning document installs ("CertificateStore CSP"): each
 * `CertificateStore/<store>/<location>/<thumbprint>/EncodedCertificate` (MS-MDE2 §4.3's sample:
 * the root under `Root/System`, the device's certificate under `My/User` or `My/System`).
 */
import type { ProvisioningDoc, WapCharacteristic } from './wap-doc.js';

/** One certificate of the document. */
export interface ProvisionedCertificate {
  /** `Root`, `CA` or `My`. */
  readonly store: string;
  /** `System` or `User`. */
  readonly location: string;
  /** The characteristic's type: the certificate's SHA-1 thumbprint as the server wrote it. */
  readonly thumbprint: string;
  /** `EncodedCertificate`: the DER certificate, base64. */
  readonly encodedCertificate: string;
}

/** Characteristics of a store location that are not certificates. */
const NOT_CERTIFICATES = new Set(['PrivateKeyContainer', 'WSTEP']);

/** Every certificate the document's CertificateStore characteristics hold, in document order. */
export function provisionedCertificates(doc: ProvisioningDoc): ProvisionedCertificate[] {
  const found: ProvisionedCertificate[] = [];
  const stores = doc.characteristics.filter((c) => c.type === 'CertificateStore');
  for (const store of stores.flatMap((s) => s.children)) {
    for (const location of store.children) {
      for (const entry of location.children) addEntry(found, store, location, entry);
    }
  }
  return found;
}

function addEntry(
  found: ProvisionedCertificate[],
  store: WapCharacteristic,
  location: WapCharacteristic,
  entry: WapCharacteristic,
): void {
  if (NOT_CERTIFICATES.has(entry.type)) return;
  const encoded = entry.parms.find((p) => p.name === 'EncodedCertificate')?.value;
  if (encoded === undefined) return;
  found.push({
    store: store.type,
    location: location.type,
    thumbprint: entry.type,
    encodedCertificate: encoded,
  });
}
