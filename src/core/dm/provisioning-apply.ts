/**
 * Applying an enrollment's `wap-provisioningdoc` to the device's DM tree, as Windows maps its
 * characteristics onto CSPs (MS-MDE2 §4 sample; "w7 APPLICATION CSP", "DMAcc CSP",
 * "CertificateStore CSP", "DMClient CSP"; the documents Fleet and Mattrax build):
 *
 * - `CertificateStore` → `./Vendor/MSFT/CertificateStore`: `Root/System/{thumbprint}` and
 *   `My/User|System/{thumbprint}` with their `EncodedCertificate` parm, `My/WSTEP/Renew` parms.
 *   A `PrivateKeyContainer` characteristic (with or without parms) is the key the enrollment
 *   client made: nothing to store, it is read over.
 * - `APPLICATION` with `APPID` w7 → the DMAcc account `./SyncML/DMAcc/{accountUid(PROVIDER-ID)}`
 *   (replacing an account of that name): AppID, ServerID (PROVIDER-ID), Name (NAME), PrefConRef
 *   (TO-NAPID), `AppAddr/1/Addr` (ADDR, or the first APPADDR's ADDR; ADDRTYPE, PORT/PORTNBR as
 *   `AddrType` and `Port/1/PortNbr`), `AppAuth/CLCRED` (APPAUTH with AAUTHLEVEL APPSRV: the
 *   device's credential) and `AppAuth/SRVCRED` (AAUTHLEVEL CLIENT: the server's), each with
 *   AAuthLevel, AAuthType, AAuthName, AAuthSecret, AAuthData; `Ext/Microsoft` Role (ROLE), ProtoVer,
 *   DefaultEncoding, ConnRetryFreq, InitialBackOffTime (also spelled INITIALBACKOFTIME, as the CSP's
 *   tree does), MaxBackOffTime (MAXBACKOFTIME), BackCompatRetryDisabled and UseHwDevID (flags: their
 *   presence is true), SSLCLIENTCERTSEARCHCRITERIA.
 * - `DMClient` → `Provider` → `{id}` → `./Vendor/MSFT/DMClient/Provider/{id}`, created if absent;
 *   each parm a leaf, each nested characteristic (`Poll`, `Push`…) an interior node holding its
 *   parms. The id must be the w7 PROVIDER-ID ("ProviderID in DMClient CSP must match to PROVIDER-ID
 *   in w7 APPLICATION characteristics", MS-MDE2 sample). The provider of the w7 PROVIDER-ID is
 *   created even without a DMClient characteristic, and its `ManagementServiceAddress` is set to
 *   the ADDR (**assumption**: the enrollment registers the provider at its management address).
 *
 * Rules the documents impose (w7 APPLICATION CSP): parm names and characteristic types are case
 * sensitive; one w7 APPLICATION, with APPID, PROVIDER-ID, an address, and both an APPSRV and a
 * CLIENT APPAUTH ("Both APPSRV and CLIENT credentials must be provided"), each with AAUTHSECRET;
 * AAUTHTYPE is BASIC or DIGEST, and DIGEST for CLIENT; ROLE is 32 ("The enterprise client cannot
 * set the mobile operator role"); INIT is refused (not supported in enterprise enrollment). A
 * parm's `datatype`, when given, must be `integer`, `boolean` or `string` and fit its value.
 *
 * All or nothing: the whole document runs as one transaction of the tree (its Atomic staging), so
 * a document the tree cannot apply leaves the tree as it was and throws a
 * {@link ProvisioningApplyError} naming the element (`characteristic[type=APPLICATION]/parm[name=ADDR]:
 * missing`). Only a side effect that throws when the changes are stored (the device refusing a
 * PFN, say) leaves them applied, as an Atomic's 516.
 */
import { DmpushError } from '../errors.js';
import type { ProvisioningDoc, WapCharacteristic, WapParm } from '../enroll/wap-doc.js';
import { findAccount } from './account-reader.js';
import { CERTIFICATE_STORE, THUMBPRINT, type CertificateStoreName } from './certstore-nodes.js';
import { CLIENT_CREDENTIAL, DMACC, SERVER_CREDENTIAL, accountUid } from './dmacc-nodes.js';
import { DMCLIENT, validProviderId } from './dmclient-nodes.js';
import type { CommandOutcome, DmTree } from './dm-tree.js';
import type { NodeCommandKind } from '../syncml/message.js';

/** Longest {@link ProvisioningApplyError} message (values can be certificates). */
const MAX_MESSAGE_LENGTH = 400;

/**
 * A provisioning document the device's tree cannot apply. Code `E_PROVISIONING_APPLY`. The tree
 * is unchanged (unless the reason says a side effect failed after the changes were stored).
 *
 * @example
 * ```ts
 * new ProvisioningApplyError('characteristic[type=APPLICATION]/parm[name=ADDR]', 'missing').message;
 * // 'characteristic[type=APPLICATION]/parm[name=ADDR]: missing'
 * ```
 */
export class ProvisioningApplyError extends DmpushError {
  /**
   * @param path - The element: `characteristic[type=…]` steps from the document's root (with a
   *   1-based `[n]` when several siblings share the type), then `parm[name=…]`; `''` for the
   *   document as a whole.
   * @param reason - What is wrong.
   */
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    const full = path === '' ? reason : `${path}: ${reason}`;
    super(
      'E_PROVISIONING_APPLY',
      full.length > MAX_MESSAGE_LENGTH ? `${full.slice(0, MAX_MESSAGE_LENGTH)}…` : full,
    );
  }
}

/** A certificate the document put in a store. */
interface AppliedCertificate {
  readonly store: CertificateStoreName;
  /** The `{CertHash}` node name, as the document wrote it. */
  readonly thumbprint: string;
  /** `EncodedCertificate`: the DER certificate, base64. */
  readonly encodedCertificate: string;
}

/** What applying a document set up. */
export interface AppliedProvisioning {
  /** w7 `PROVIDER-ID`: the DMClient `{ProviderID}` and DMAcc `ServerID`. */
  readonly providerId: string;
  /** The DMAcc `{AccountUID}` of the account. */
  readonly accountUid: string;
  /** The management server's address (w7 `ADDR`): where sessions post. */
  readonly managementUrl: string;
  /** In document order. */
  readonly certificates: readonly AppliedCertificate[];
}

/** One change, with the document element it comes from. */
type Step =
  /** An interior node: Add when absent. */
  | { readonly op: 'node'; readonly path: string; readonly uri: string }
  /** A leaf: Add when absent, else Replace. */
  | { readonly op: 'set'; readonly path: string; readonly uri: string; readonly value: string }
  /** A node to start afresh: Delete when present. */
  | { readonly op: 'clear'; readonly path: string; readonly uri: string };

function fail(path: string, reason: string): never {
  throw new ProvisioningApplyError(path, reason);
}

/** A value in a message: quoted, cut to 40 characters. */
function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** `characteristic[type=…]` paths of `children`, with `[n]` when a type repeats. */
function located(
  parent: string,
  children: readonly WapCharacteristic[],
): [WapCharacteristic, string][] {
  const seen = new Map<string, number>();
  return children.map((c) => {
    const total = children.filter((o) => o.type === c.type).length;
    const n = (seen.get(c.type) ?? 0) + 1;
    seen.set(c.type, n);
    const step = `characteristic[type=${c.type}]${total > 1 ? `[${n}]` : ''}`;
    return [c, parent === '' ? step : `${parent}/${step}`];
  });
}

function parmPath(path: string, parm: WapParm): string {
  return `${path}/parm[name=${parm.name}]`;
}

/** Checks a parm's `datatype` against its value. */
function checkDatatype(path: string, parm: WapParm): void {
  if (parm.datatype === undefined) return;
  const value = parm.value ?? '';
  switch (parm.datatype) {
    case 'string':
      return;
    case 'integer':
      if (!/^-?\d+$/.test(value)) fail(path, `${show(value)} is not an integer`);
      return;
    case 'boolean':
      if (value !== 'true' && value !== 'false') fail(path, `${show(value)} is not true or false`);
      return;
    default:
      fail(path, `unknown datatype ${show(parm.datatype)} (integer, boolean or string)`);
  }
}

/** The parm's value; a parm without one is refused. */
function valueOf(path: string, parm: WapParm): string {
  if (parm.value === undefined) fail(path, 'has no value');
  checkDatatype(path, parm);
  return parm.value;
}

/** The parms of a characteristic by name; a name given twice is refused unless `firstWins`. */
function parmsByName(
  path: string,
  parms: readonly WapParm[],
  known: readonly string[],
  firstWins: readonly string[] = [],
): Map<string, WapParm> {
  const out = new Map<string, WapParm>();
  for (const parm of parms) {
    const at = parmPath(path, parm);
    if (!known.includes(parm.name))
      fail(at, known.length <= 5 ? `unknown parm (${known.join(', ')})` : 'unknown parm');
    if (out.has(parm.name)) {
      if (firstWins.includes(parm.name)) continue;
      fail(at, 'given twice');
    }
    out.set(parm.name, parm);
  }
  return out;
}

function noChildren(path: string, c: WapCharacteristic): void {
  const [first] = located(path, c.children);
  if (first) fail(first[1], 'unknown characteristic');
}

function noParms(path: string, c: WapCharacteristic): void {
  const [parm] = c.parms;
  if (parm) fail(parmPath(path, parm), 'unknown parm');
}

/** A node name taken from the document: one URI segment. */
function segment(path: string, name: string): string {
  if (!validProviderId(name)) fail(path, `${show(name)} is not a node name (one URI segment)`);
  return name;
}

const WHOLE_NUMBER = /^\d+$/;

// ---- CertificateStore ---------------------------------------------------------------------------

function certificateStore(
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
        if (!THUMBPRINT.test(cert.type))
          fail(certPath, 'not a certificate thumbprint (40 hexadecimal digits: its SHA-1)');
        noChildren(certPath, cert);
        const parms = parmsByName(certPath, cert.parms, ['EncodedCertificate']);
        const encoded = parms.get('EncodedCertificate');
        if (!encoded) fail(`${certPath}/parm[name=EncodedCertificate]`, 'missing');
        const at = parmPath(certPath, encoded);
        const value = valueOf(at, encoded);
        steps.push({
          op: 'set',
          path: at,
          uri: `${CERTIFICATE_STORE}/${name}/${cert.type}/EncodedCertificate`,
          value,
        });
        certificates.push({ store: name, thumbprint: cert.type, encodedCertificate: value });
      }
    }
  }
}

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

// ---- w7 APPLICATION -----------------------------------------------------------------------------

const W7_PARMS = [
  'APPID',
  'PROVIDER-ID',
  'NAME',
  'ADDR',
  'TO-NAPID',
  'ROLE',
  'PROTOVER',
  'DEFAULTENCODING',
  'CONNRETRYFREQ',
  'INITIALBACKOFFTIME',
  'INITIALBACKOFTIME',
  'MAXBACKOFFTIME',
  'MAXBACKOFTIME',
  'BACKCOMPATRETRYDISABLED',
  'USEHWDEVID',
  'SSLCLIENTCERTSEARCHCRITERIA',
  'INIT',
];

/** w7 parms stored in `Ext/Microsoft`, by node name. */
const W7_EXT: Readonly<Record<string, string>> = {
  ROLE: 'Role',
  PROTOVER: 'ProtoVer',
  DEFAULTENCODING: 'DefaultEncoding',
  CONNRETRYFREQ: 'ConnRetryFreq',
  INITIALBACKOFFTIME: 'InitialBackOffTime',
  INITIALBACKOFTIME: 'InitialBackOffTime',
  MAXBACKOFFTIME: 'MaxBackOffTime',
  MAXBACKOFTIME: 'MaxBackOffTime',
  SSLCLIENTCERTSEARCHCRITERIA: 'SSLCLIENTCERTSEARCHCRITERIA',
};
const W7_WHOLE_NUMBERS = [
  'CONNRETRYFREQ',
  'INITIALBACKOFFTIME',
  'INITIALBACKOFTIME',
  'MAXBACKOFFTIME',
  'MAXBACKOFTIME',
];
/** Parms that take no value: their presence sets the node true. */
const W7_FLAGS: Readonly<Record<string, string>> = {
  BACKCOMPATRETRYDISABLED: 'BackCompatRetryDisabled',
  USEHWDEVID: 'UseHwDevID',
};

/** What the w7 APPLICATION sets up, for the provider's steps and the result. */
interface W7 {
  readonly providerId: string;
  readonly uid: string;
  readonly addr: string;
  /** The parm the address comes from. */
  readonly addrPath: string;
}

function required(path: string, parms: Map<string, WapParm>, name: string): [string, string] {
  const parm = parms.get(name);
  if (!parm) fail(`${path}/parm[name=${name}]`, 'missing');
  const at = parmPath(path, parm);
  const value = valueOf(at, parm);
  if (value === '') fail(at, 'is empty');
  return [at, value];
}

function application(path: string, c: WapCharacteristic, steps: Step[]): W7 {
  const parms = parmsByName(path, c.parms, W7_PARMS, ['TO-NAPID']);
  const [appIdPath, appId] = required(path, parms, 'APPID');
  if (appId !== 'w7') fail(appIdPath, `${show(appId)}: only the w7 APPLICATION is modelled`);
  const [, providerId] = required(path, parms, 'PROVIDER-ID');
  const init = parms.get('INIT');
  if (init)
    fail(parmPath(path, init), 'not supported in an enterprise enrollment (w7 APPLICATION CSP)');
  const uid = accountUid(providerId);
  const base = `${DMACC}/${uid}`;
  const own: Step[] = [];
  const set = (at: string, uri: string, value: string): void => {
    own.push({ op: 'set', path: at, uri: `${base}/${uri}`, value });
  };
  set(appIdPath, 'AppID', 'w7');
  set(parmPath(path, parms.get('PROVIDER-ID') as WapParm), 'ServerID', providerId);
  const name = parms.get('NAME');
  if (name) {
    // "The NAME parameter can be a string or null (no value)."
    checkDatatype(parmPath(path, name), name);
    set(parmPath(path, name), 'Name', name.value ?? '');
  }
  const napId = parms.get('TO-NAPID');
  if (napId) set(parmPath(path, napId), 'PrefConRef', valueOf(parmPath(path, napId), napId));
  for (const parm of parms.values()) {
    const at = parmPath(path, parm);
    const flag = W7_FLAGS[parm.name];
    if (flag !== undefined) {
      if (parm.value !== undefined && parm.value !== '') fail(at, 'takes no value');
      set(at, `Ext/Microsoft/${flag}`, 'true');
      continue;
    }
    const ext = W7_EXT[parm.name];
    if (ext === undefined) continue;
    const value = valueOf(at, parm);
    if (W7_WHOLE_NUMBERS.includes(parm.name) && !WHOLE_NUMBER.test(value))
      fail(at, `${show(value)} is not a whole number`);
    if (parm.name === 'ROLE' && value !== '32')
      fail(at, `${show(value)}: an enterprise enrollment's role is 32 (w7 APPLICATION CSP, ROLE)`);
    set(at, `Ext/Microsoft/${ext}`, value);
  }

  // The address: ADDR, else the first APPADDR ("other DM accounts are ignored").
  const addresses: [WapCharacteristic, string][] = [];
  const auths: [WapCharacteristic, string][] = [];
  for (const [child, childPath] of located(path, c.children)) {
    if (child.type === 'APPADDR') addresses.push([child, childPath]);
    else if (child.type === 'APPAUTH') auths.push([child, childPath]);
    else fail(childPath, 'unknown characteristic (APPADDR or APPAUTH)');
  }
  const addrSteps: Step[] = [];
  const addrNode = `${base}/AppAddr/1`;
  let addr: string | undefined;
  let addrPath = '';
  const direct = parms.get('ADDR');
  if (direct) {
    const at = parmPath(path, direct);
    addrPath = at;
    addr = valueOf(at, direct);
    if (addr === '') fail(at, 'is empty');
    addrSteps.push({ op: 'set', path: at, uri: `${addrNode}/Addr`, value: addr });
  }
  for (const [appAddr, appAddrPath] of addresses) {
    const a = parmsByName(appAddrPath, appAddr.parms, ['ADDR', 'ADDRTYPE'], ['ADDRTYPE']);
    const [foundPath, value] = required(appAddrPath, a, 'ADDR');
    const ports: [string, string][] = [];
    for (const [port, portPath] of located(appAddrPath, appAddr.children)) {
      if (port.type !== 'PORT') fail(portPath, 'unknown characteristic (PORT)');
      noChildren(portPath, port);
      const p = parmsByName(portPath, port.parms, ['PORTNBR']);
      const [nbrPath, nbr] = required(portPath, p, 'PORTNBR');
      if (!WHOLE_NUMBER.test(nbr) || Number(nbr) > 65535)
        fail(nbrPath, `${show(nbr)} is not a port number (0–65535)`);
      ports.push([nbrPath, nbr]);
    }
    if (addr !== undefined) continue;
    addr = value;
    addrPath = foundPath;
    addrSteps.push({ op: 'set', path: foundPath, uri: `${addrNode}/Addr`, value });
    const type = a.get('ADDRTYPE');
    if (type) {
      const at = parmPath(appAddrPath, type);
      addrSteps.push({
        op: 'set',
        path: at,
        uri: `${addrNode}/AddrType`,
        value: valueOf(at, type),
      });
    }
    const [first] = ports;
    if (first) {
      const [nbrPath, nbr] = first;
      addrSteps.push({ op: 'node', path: nbrPath, uri: `${addrNode}/Port` });
      addrSteps.push({ op: 'node', path: nbrPath, uri: `${addrNode}/Port/1` });
      addrSteps.push({ op: 'set', path: nbrPath, uri: `${addrNode}/Port/1/PortNbr`, value: nbr });
    }
  }
  if (addr === undefined) fail(`${path}/parm[name=ADDR]`, 'missing');

  const authSteps: Step[] = [];
  const levels = new Set<string>();
  for (const [auth, authPath] of auths) {
    noChildren(authPath, auth);
    const a = parmsByName(authPath, auth.parms, [
      'AAUTHLEVEL',
      'AAUTHTYPE',
      'AAUTHNAME',
      'AAUTHSECRET',
      'AAUTHDATA',
    ]);
    const [levelPath, level] = required(authPath, a, 'AAUTHLEVEL');
    if (level !== 'APPSRV' && level !== 'CLIENT')
      fail(levelPath, `unknown AAUTHLEVEL ${show(level)} (APPSRV or CLIENT)`);
    if (levels.has(level)) fail(levelPath, `a second APPAUTH with AAUTHLEVEL ${level}`);
    levels.add(level);
    // APPSRV: "the client authenticates itself to the OMA DM Server" = DMAcc CLCRED.
    const node = `${base}/AppAuth/${level === 'APPSRV' ? CLIENT_CREDENTIAL : SERVER_CREDENTIAL}`;
    authSteps.push({ op: 'node', path: authPath, uri: node });
    authSteps.push({
      op: 'set',
      path: levelPath,
      uri: `${node}/AAuthLevel`,
      value: level === 'APPSRV' ? CLIENT_CREDENTIAL : SERVER_CREDENTIAL,
    });
    const type = a.get('AAUTHTYPE');
    if (type) {
      const at = parmPath(authPath, type);
      const value = valueOf(at, type);
      if (value !== 'BASIC' && value !== 'DIGEST')
        fail(at, `unknown AAUTHTYPE ${show(value)} (BASIC or DIGEST)`);
      if (level === 'CLIENT' && value !== 'DIGEST')
        fail(at, 'must be DIGEST when AAUTHLEVEL is CLIENT (w7 APPLICATION CSP)');
      authSteps.push({ op: 'set', path: at, uri: `${node}/AAuthType`, value });
    }
    required(authPath, a, 'AAUTHSECRET');
    for (const [parm, leaf] of [
      ['AAUTHNAME', 'AAuthName'],
      ['AAUTHSECRET', 'AAuthSecret'],
      ['AAUTHDATA', 'AAuthData'],
    ] as const) {
      const p = a.get(parm);
      if (!p) continue;
      const at = parmPath(authPath, p);
      authSteps.push({ op: 'set', path: at, uri: `${node}/${leaf}`, value: valueOf(at, p) });
    }
  }
  for (const level of ['APPSRV', 'CLIENT'])
    if (!levels.has(level))
      fail(
        path,
        `missing characteristic[type=APPAUTH] with AAUTHLEVEL ${level} (both are required)`,
      );

  steps.push(
    { op: 'clear', path, uri: base },
    { op: 'node', path, uri: base },
    ...own,
    { op: 'node', path, uri: `${base}/AppAddr` },
    { op: 'node', path, uri: addrNode },
    ...addrSteps,
    { op: 'node', path, uri: `${base}/AppAuth` },
    ...authSteps,
  );
  return { providerId, uid, addr, addrPath };
}

// ---- DMClient -----------------------------------------------------------------------------------

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

/** The DMClient characteristic: `Provider` → `{id}` entries, each the w7 provider's. */
function dmClient(
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

// ---- applying -----------------------------------------------------------------------------------

const STATUS_TEXT: Readonly<Record<number, string>> = {
  404: 'not found (its parent is absent)',
  405: 'not allowed (a node the device does not have, or may not set)',
  415: 'not a valid value for the node',
  418: 'already exists',
};

function refused(kind: NodeCommandKind, uri: string, code: number, value?: string): string {
  const what = value === undefined || code !== 415 ? '' : ` ${show(value)}`;
  return `${kind} ${uri}${what}: ${code} ${STATUS_TEXT[code] ?? 'failed'}`;
}

/**
 * Applies `doc` to `tree` (see the module's documentation) and returns what it set up. Throws
 * {@link ProvisioningApplyError} for a document the tree cannot apply, the tree then unchanged.
 */
export function applyProvisioning(tree: DmTree, doc: ProvisioningDoc): AppliedProvisioning {
  const top = located('', doc.characteristics);
  const applications = top.filter(([c]) => c.type === 'APPLICATION');
  const [w7Entry, second] = applications;
  if (!w7Entry) fail('characteristic[type=APPLICATION]', 'missing (the w7 APPLICATION)');
  if (second) fail(second[1], 'a second APPLICATION (one w7 account per enrollment)');

  const certSteps: Step[] = [];
  const accountSteps: Step[] = [];
  const providerSteps: Step[] = [];
  const certificates: AppliedCertificate[] = [];
  const w7 = application(w7Entry[1], w7Entry[0], accountSteps);
  const providerUri = `${DMCLIENT}/Provider/${w7.providerId}`;
  providerSteps.push(
    { op: 'node', path: w7Entry[1], uri: providerUri },
    {
      op: 'set',
      path: w7.addrPath,
      uri: `${providerUri}/ManagementServiceAddress`,
      value: w7.addr,
    },
  );
  for (const [c, path] of top) {
    if (c.type === 'CertificateStore') certificateStore(path, c, certSteps, certificates);
    else if (c.type === 'DMClient')
      for (const [entryPath, id, entry] of dmClient(path, c, w7.providerId))
        providerContent(entryPath, entry, `${DMCLIENT}/Provider/${id}`, providerSteps);
    else if (c.type !== 'APPLICATION')
      fail(
        path,
        'not a characteristic the device applies (CertificateStore, APPLICATION, DMClient)',
      );
  }

  const done: [string, CommandOutcome][] = [];
  const result = tree.transaction((tx) => {
    let cmdId = 0;
    const run = (step: Step, kind: NodeCommandKind, value?: string): void => {
      const item = value === undefined ? { target: step.uri } : { target: step.uri, data: value };
      const outcome = tx.run({ kind, cmdId: String(++cmdId), items: [item] });
      const code = outcome.statuses[0]?.code ?? 500;
      if (code < 200 || code >= 300) fail(step.path, refused(kind, step.uri, code, value));
      done.push([step.path, outcome]);
    };
    for (const step of [...certSteps, ...accountSteps, ...providerSteps]) {
      const present = tx.peek(step.uri) !== null;
      if (step.op === 'node') {
        if (!present) run(step, 'Add');
      } else if (step.op === 'clear') {
        if (present) run(step, 'Delete');
      } else {
        run(step, present ? 'Replace' : 'Add', step.value);
      }
    }
  });
  if (result === 'side-effect-failed') {
    const failed = done.find(([, o]) => o.statuses.some((s) => s.code === 500));
    fail(
      failed?.[0] ?? '',
      'stored, but the device failed to act on it (a side effect threw); the document stays applied',
    );
  }
  return {
    providerId: w7.providerId,
    accountUid: w7.uid,
    managementUrl: w7.addr,
    certificates,
  };
}

/**
 * Removes what an enrollment for `providerId` put in the tree: its DMAcc accounts and its
 * `DMClient/Provider/{id}` (clearing the PFN when the provider held it, and calling the tree's
 * `providerRemoved`). Certificates stay (**choice**: nothing in the tree ties them to the
 * provider).
 */
export function removeProvider(tree: DmTree, providerId: string): void {
  let cmdId = 0;
  const remove = (target: string): boolean =>
    tree.run({ kind: 'Delete', cmdId: String(++cmdId), items: [{ target }] }).statuses[0]?.code ===
    200;
  for (let account = findAccount(tree, providerId); account !== null;) {
    if (!remove(account)) break;
    account = findAccount(tree, providerId);
  }
  const provider = `${DMCLIENT}/Provider/${providerId}`;
  if (tree.peek(provider) !== null) remove(provider);
}
