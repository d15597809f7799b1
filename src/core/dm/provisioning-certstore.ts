/**
 * The `CertificateStore` characteristic of a provisioning document, as Windows maps it onto the
 * CertificateStore CSP ("CertificateStore CSP"; MS-MDE2 §4 sample):
 *
 * - `CertificateStore` → `./Vendor/MSFT/CertificateStore`: `Root/System/{thumbprint}` and
 *   `My/User|System/{thumbprint}` with their `EncodedCertificate` parm, `My/WSTEP/Renew` parms.
 *   A `PrivateKeyContainer` characteristic (with or without parms) is the key the enrollment
 *   client made: nothing to store, it is read over.
 */
import type { WapCharacteristic } from '../enroll/wap-doc.js';
import { CERTIFICATE_STORE, THUMBPRINT, type CertificateStoreName } from './certstore-nodes.js';
import {
  fail,
  located,
  noChildren,
  noParms,
  parmPath,
  parmsByName,
  valueOf,
  type Step,
} from './provisioning-elements.js';

/** A certificate the document put in a store. */
export interface AppliedCertificate {
  readonly store: CertificateStoreName;
  /** The `{CertHash}` node name, as the document wrote it. */
  readonly thumbprint: string;
  /** `EncodedCertificate`: the DER certificate, base64. */
  readonly encodedCertificate: string;
}

/** The CertificateStore characteristic: its steps, and the certificates it stores. */
export function certificateStore(
  path: string,
  c: WapCharacteristic,
  steps: Step[],
  certificates: AppliedCertificate[],
): void {
  noParms(path, c);
  for (const [store, storePath] of located(path, c.children)) {
    noParms(storePath, store);
    if (store.type !== 'Root' && store.type !== 'My')
      fail(storePath, 'unknown certificate store (Root or My)');
    for (const [sub, subPath] of located(storePath, store.children)) {
      if (store.type === 'My' && sub.type === 'WSTEP') {
        wstep(subPath, sub, steps);
        continue;
      }
      const name = `${store.type}/${sub.type}`;
      if (name !== 'Root/System' && name !== 'My/User' && name !== 'My/System')
        fail(
          subPath,
          `unknown certificate store (${store.type === 'Root' ? 'System' : 'User, System or WSTEP'})`,
        );
      noParms(subPath, sub);
      for (const [cert, certPath] of located(subPath, sub.children)) {
        // The enrollment client's key container: nothing the tree keeps.
        if (store.type === 'My' && cert.type === 'PrivateKeyContainer') continue;
        certificate(certPath, cert, name, steps, certificates);
      }
    }
  }
}

/** A `{thumbprint}` characteristic of the store `name`: its `EncodedCertificate`. */
function certificate(
  path: string,
  cert: WapCharacteristic,
  name: CertificateStoreName,
  steps: Step[],
  certificates: AppliedCertificate[],
): void {
  if (!THUMBPRINT.test(cert.type))
    fail(path, 'not a certificate thumbprint (40 hexadecimal digits: its SHA-1)');
  noChildren(path, cert);
  const parms = parmsByName(path, cert.parms, ['EncodedCertificate']);
  const encoded = parms.get('EncodedCertificate');
  if (!encoded) fail(`${path}/parm[name=EncodedCertificate]`, 'missing');
  const at = parmPath(path, encoded);
  const value = valueOf(at, encoded);
  steps.push({
    op: 'set',
    path: at,
    uri: `${CERTIFICATE_STORE}/${name}/${cert.type}/EncodedCertificate`,
    value,
  });
  certificates.push({ store: name, thumbprint: cert.type, encodedCertificate: value });
}

/** `My/WSTEP`: its `Renew` parms. */
function wstep(path: string, c: WapCharacteristic, steps: Step[]): void {
  noParms(path, c);
  for (const [renew, renewPath] of located(path, c.children)) {
    if (renew.type !== 'Renew') fail(renewPath, 'unknown characteristic (Renew)');
    noChildren(renewPath, renew);
    const parms = parmsByName(renewPath, renew.parms, [
      'ROBOSupport',
      'RenewPeriod',
      'RetryInterval',
    ]);
    for (const parm of parms.values()) {
      const at = parmPath(renewPath, parm);
      const uri = `${CERTIFICATE_STORE}/My/WSTEP/Renew/${parm.name}`;
      steps.push({ op: 'set', path: at, uri, value: valueOf(at, parm) });
    }
  }
}
