/**
 * The part of the CertificateStore CSP ([CERTSTORE]) an enrollment's provisioning document sets:
 * `Root/System/{CertHash}`, `My/User/{CertHash}` and `My/System/{CertHash}` with their
 * `EncodedCertificate`, and `My/WSTEP/Renew` (ROBOSupport, RenewPeriod, RetryInterval).
 *
 * - Store names are spelled as enrollment documents and Windows' own enrollment code write them
 *   (`Root`, `My`, `System`, `User`: the MS-MDE2 sample, Fleet, Mattrax); the CSP's tree spells
 *   `ROOT` and `MY` and says the protocol is case insensitive, so those spellings name the same
 *   nodes (other case variants are not accepted).
 * - `{CertHash}` (Delete, Get) is "implicitly created only when the EncodedCertificate node is
 *   added"; its name must be a SHA-1 thumbprint, 40 hexadecimal digits (else the Add is 405).
 * - `EncodedCertificate` is `b64` (Add, Get, Replace). `IssuedBy`, `IssuedTo`, `ValidFrom`,
 *   `ValidTo` and `TemplateName` are not modelled: Windows fills them from the certificate, and the
 *   core does not parse X.509.
 * - `My/WSTEP/Renew/{ROBOSupport,RenewPeriod,RetryInterval}` exist with the CSP's defaults (true,
 *   42, 7); RenewPeriod and RetryInterval accept 1–1000; Delete restores the default. The other
 *   WSTEP nodes (renewal itself) are not modelled, nor are `CA`, `ROOT/{CertHash}` (no `System`)
 *   or SCEP.
 */
import { ADGR, AGR, DG, G, between } from './csp-nodes.js';
import type { DmTree, DynamicNode, NodeSpec } from './dm-tree.js';

/** `./Vendor/MSFT/CertificateStore`. */
export const CERTIFICATE_STORE = './Vendor/MSFT/CertificateStore';

/** The stores an enrollment document fills, as paths below {@link CERTIFICATE_STORE}. */
export type CertificateStoreName = 'Root/System' | 'My/User' | 'My/System';

/** A SHA-1 thumbprint: 40 hexadecimal digits. */
export const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;

function certificateNodes(name: string): readonly DynamicNode[] | null {
  if (!THUMBPRINT.test(name)) return null;
  return [
    { path: '', spec: { format: 'node', access: DG } },
    { path: 'EncodedCertificate', spec: { format: 'b64', access: AGR } },
  ];
}

/** Defines `./Vendor/MSFT/CertificateStore` (its parent must exist). */
export function defineCertificateStore(tree: DmTree): void {
  const cs = CERTIFICATE_STORE;
  const store: NodeSpec = {
    format: 'node',
    access: G,
    children: { nodes: certificateNodes, implicit: true },
  };
  const renew = `${cs}/My/WSTEP/Renew`;
  const days = between(1, 1000);
  tree
    .define(cs, { format: 'node', access: G })
    .define(`${cs}/Root`, { format: 'node', access: G })
    .define(`${cs}/Root/System`, store)
    .define(`${cs}/My`, { format: 'node', access: G })
    .define(`${cs}/My/User`, store)
    .define(`${cs}/My/System`, store)
    .define(`${cs}/My/WSTEP`, { format: 'node', access: G })
    .define(renew, { format: 'node', access: G })
    .define(`${renew}/ROBOSupport`, {
      format: 'bool',
      access: ADGR,
      value: 'true',
      resetOnDelete: true,
    })
    .define(`${renew}/RenewPeriod`, {
      format: 'int',
      access: ADGR,
      value: '42',
      accepts: days,
      resetOnDelete: true,
    })
    .define(`${renew}/RetryInterval`, {
      format: 'int',
      access: ADGR,
      value: '7',
      accepts: days,
      resetOnDelete: true,
    })
    .alias(`${cs}/ROOT`, `${cs}/Root`)
    .alias(`${cs}/MY`, `${cs}/My`);
}
