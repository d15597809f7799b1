/**
 * The `DMClient` characteristic of a provisioning document, as Windows maps it onto the DMClient
 * CSP ("DMClient CSP"; MS-MDE2 §4 sample):
 *
 * - `DMClient` → `Provider` → `{id}` → `./Vendor/MSFT/DMClient/Provider/{id}`, created if absent;
 *   each parm a leaf, each nested characteristic (`Poll`, `Push`…) an interior node holding its
 *   parms. The id must be the w7 PROVIDER-ID ("ProviderID in DMClient CSP must match to PROVIDER-ID
 *   in w7 APPLICATION characteristics", MS-MDE2 sample). The provider of the w7 PROVIDER-ID is
 *   created even without a DMClient characteristic, and its `ManagementServiceAddress` is set to
 *   the ADDR (**assumption**: the enrollment registers the provider at its management address).
 */
import type { WapCharacteristic } from '../enroll/wap-doc.js';
import { DMCLIENT } from './dmclient-nodes.js';
import {
  fail,
  located,
  noParms,
  parmPath,
  segment,
  show,
  valueOf,
  type Step,
} from './provisioning-elements.js';
import type { W7 } from './provisioning-w7.js';

/** The w7 provider (`path`: its APPLICATION): created, its `ManagementServiceAddress` the ADDR. */
export function w7Provider(path: string, w7: W7): Step[] {
  const providerUri = `${DMCLIENT}/Provider/${w7.providerId}`;
  return [
    { op: 'node', path, uri: providerUri },
    {
      op: 'set',
      path: w7.addrPath,
      uri: `${providerUri}/ManagementServiceAddress`,
      value: w7.addr,
    },
  ];
}

/** The DMClient characteristic: the steps of its `Provider` → `{id}` entries, each the w7's. */
export function dmClient(
  path: string,
  c: WapCharacteristic,
  providerId: string | null,
  steps: Step[],
): void {
  for (const [entryPath, id, entry] of providerEntries(path, c, providerId))
    providerContent(entryPath, entry, `${DMCLIENT}/Provider/${id}`, steps);
}

/** The DMClient characteristic: `Provider` → `{id}` entries, each the w7 provider's. */
function providerEntries(
  path: string,
  c: WapCharacteristic,
  providerId: string | null,
): [string, string, WapCharacteristic][] {
  noParms(path, c);
  const out: [string, string, WapCharacteristic][] = [];
  for (const [provider, providerPath] of located(path, c.children)) {
    if (provider.type !== 'Provider') fail(providerPath, 'unknown characteristic (Provider)');
    noParms(providerPath, provider);
    for (const [entry, entryPath] of located(providerPath, provider.children)) {
      const id = segment(entryPath, entry.type);
      if (providerId !== null && id !== providerId)
        fail(entryPath, `not the w7 APPLICATION's PROVIDER-ID ${show(providerId)}`);
      out.push([entryPath, id, entry]);
    }
  }
  return out;
}

/** A characteristic below `Provider/{id}`: its parms are leaves, its characteristics nodes. */
function providerContent(path: string, c: WapCharacteristic, uri: string, steps: Step[]): void {
  for (const parm of c.parms) {
    const at = parmPath(path, parm);
    steps.push({
      op: 'set',
      path: at,
      uri: `${uri}/${segment(at, parm.name)}`,
      value: valueOf(at, parm),
    });
  }
  for (const [child, childPath] of located(path, c.children)) {
    const node = `${uri}/${segment(childPath, child.type)}`;
    steps.push({ op: 'node', path: childPath, uri: node });
    providerContent(childPath, child, node, steps);
  }
}
