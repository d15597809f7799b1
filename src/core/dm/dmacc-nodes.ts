/**
 * The DMAcc CSP ([DMACC]): OMA DM server accounts at `./SyncML/DMAcc/{AccountUID}`, the path the
 * CSP documents (its DDF's `<Path>./SyncML</Path>`; Fleet's rekey Replaces
 * `./SyncML/DMAcc/<uid>/AppAuth/CLCRED/AAuthName`). `./Vendor/MSFT/DMAcc` is not documented and
 * does not exist here.
 *
 * Node names, formats and access rights are the DDF's; where the CSP page and the DDF disagree
 * the DDF wins (`AAuthLevel` is Add, Get, Replace). Choices:
 * - `{AccountUID}` is Add, Delete, Get; its Replace (a rename, which the CSP allows) is not
 *   modelled: 405.
 * - `Ext` and `Ext/Microsoft` come with the account ("created automatically when the OMA DM
 *   account is created"); `AppAddr`, `AppAuth` and `AppAddr/{x}/Port` start absent and are added.
 * - Leaves with a documented default are present with it (`ConnRetryFreq` 3, `InitialBackOffTime`
 *   16000, `MaxBackOffTime` 86400000, `DefaultEncoding` `application/vnd.syncml.dm+xml`,
 *   `BackCompatRetryDisabled`/`UseHwDevID`/`UseNonceResync` false, `AddrType` URI): Add is 418,
 *   Replace changes them. `Role` (Get, Replace) starts at 32, the enterprise role the w7
 *   APPLICATION CSP says only the enterprise enrollment client sets (**assumption**: the DMAcc CSP
 *   says it defaults to the role of the session that created the account).
 * - `AAuthSecret` and `AAuthData` have no Get right (Add, Replace): a Get is 405 and the tree's
 *   listing shows no value. `AAuthData` is kept as the text given (**choice**: the DDF says `bin`,
 *   but enrollment documents put non-base64 text there — Fleet's `nonce`, the MS-MDE2 sample's
 *   placeholder — and devices accept them).
 * - `InitiateSession` (Add, Replace: starts a session) is not modelled.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { AG, AGR, AR, ADG, G, GR, NodeList, between, nonNegative, oneOf } from './csp-nodes.js';
import type { DmTree, DynamicNode } from './dm-tree.js';

/** `./SyncML/DMAcc`. */
export const DMACC = './SyncML/DMAcc';

/**
 * The `{AccountUID}` Windows gives the account a w7 APPLICATION bootstraps: "the hexadecimal
 * representation of the 256-bit SHA-2 hash of the provider ID" ([DMACC]), written as `0x0000800c`
 * (CALG_SHA_256) followed by the uppercase hex SHA-256 of the PROVIDER-ID's UTF-16LE bytes. The
 * prefix and the encoding are read off Fleet's rekey (`server/service/microsoft_mdm.go`
 * `rekeyWindowsDevice`), whose hard-coded `0x0000800cABF8CA7D…2EA1327077` is this function of
 * Fleet's PROVIDER-ID `Fleet`.
 *
 * @example
 * ```ts
 * accountUid('Fleet'); // '0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077'
 * ```
 */
export function accountUid(providerId: string): string {
  const bytes = new Uint8Array(providerId.length * 2);
  for (let i = 0; i < providerId.length; i++) {
    const unit = providerId.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >> 8;
  }
  return `0x0000800c${bytesToHex(sha256(bytes)).toUpperCase()}`;
}

/** `AAuthLevel` of the device's own credential (w7 `APPSRV`) and of the server's (w7 `CLIENT`). */
export const CLIENT_CREDENTIAL = 'CLCRED';
export const SERVER_CREDENTIAL = 'SRVCRED';

const XML = 'application/vnd.syncml.dm+xml';
const WBXML = 'application/vnd.syncml.dm+wbxml';

function portNodes(): readonly DynamicNode[] {
  // "a decimal number that fits within the range of a 16-bit unsigned integer"
  const port = (value: string): boolean => /^\d{1,5}$/.test(value) && between(0, 65535)(value);
  return new NodeList().node('', AGR).leaf('PortNbr', 'chr', undefined, AGR, { accepts: port })
    .nodes;
}

function addrNodes(): readonly DynamicNode[] {
  return new NodeList()
    .node('', AG)
    .leaf('Addr', 'chr', undefined, AGR)
    .leaf('AddrType', 'chr', 'URI', AGR)
    .node('Port', AG, { startsAbsent: true, children: { nodes: portNodes } }).nodes;
}

function authNodes(): readonly DynamicNode[] {
  return new NodeList()
    .node('', AG)
    .leaf('AAuthLevel', 'chr', undefined, AGR, {
      accepts: oneOf(CLIENT_CREDENTIAL, SERVER_CREDENTIAL),
    })
    .leaf('AAuthType', 'chr', undefined, AGR, { accepts: oneOf('BASIC', 'DIGEST') })
    .leaf('AAuthName', 'chr', undefined, AGR)
    .leaf('AAuthSecret', 'chr', undefined, AR)
    .leaf('AAuthData', 'chr', undefined, AR).nodes;
}

function accountNodes(uid: string, removed?: (uid: string) => void): readonly DynamicNode[] {
  const ms = 'Ext/Microsoft';
  return new NodeList()
    .node('', ADG, { remove: () => removed?.(uid) })
    .leaf('AppID', 'chr', undefined, AGR)
    .leaf('ServerID', 'chr', undefined, AGR)
    .leaf('Name', 'chr', undefined, AGR)
    .leaf('PrefConRef', 'chr', undefined, AGR)
    .node('AppAddr', AG, { startsAbsent: true, children: { nodes: addrNodes } })
    .leaf('AAuthPref', 'chr', undefined, AGR, { accepts: oneOf('BASIC', 'DIGEST') })
    .node('AppAuth', AG, { startsAbsent: true, children: { nodes: authNodes } })
    .node('Ext', G)
    .node(ms, G)
    .leaf(`${ms}/Role`, 'int', '32', GR, { accepts: nonNegative })
    .leaf(`${ms}/ProtoVer`, 'chr', undefined, AGR, { accepts: oneOf('1.1', '1.2') })
    .leaf(`${ms}/DefaultEncoding`, 'chr', XML, AGR, { accepts: oneOf(XML, WBXML) })
    .leaf(`${ms}/UseHwDevID`, 'bool', 'false', AGR)
    .leaf(`${ms}/ConnRetryFreq`, 'int', '3', AGR, { accepts: nonNegative })
    .leaf(`${ms}/InitialBackOffTime`, 'int', '16000', AGR, { accepts: nonNegative })
    .leaf(`${ms}/MaxBackOffTime`, 'int', '86400000', AGR, { accepts: nonNegative })
    .leaf(`${ms}/BackCompatRetryDisabled`, 'bool', 'false', AGR)
    .leaf(`${ms}/UseNonceResync`, 'bool', 'false', AGR)
    .leaf(`${ms}/CRLCheck`, 'bool', undefined, AGR)
    .leaf(`${ms}/DisableOnRoaming`, 'bool', undefined, AGR)
    .leaf(`${ms}/SSLCLIENTCERTSEARCHCRITERIA`, 'chr', undefined, AGR).nodes;
}

/**
 * Defines `./SyncML` and `./SyncML/DMAcc` (no account yet: a server or a w7 APPLICATION adds one).
 * `accountRemoved` is called with an account's `{AccountUID}` when a Delete removes it.
 */
export function defineDmAcc(tree: DmTree, accountRemoved?: (uid: string) => void): void {
  tree.define('./SyncML', { format: 'node', access: G }).define(DMACC, {
    format: 'node',
    access: G,
    children: { nodes: (uid) => accountNodes(uid, accountRemoved) },
  });
}
