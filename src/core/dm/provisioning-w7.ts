/**
 * The w7 `APPLICATION` characteristic of a provisioning document, as Windows maps it onto a DMAcc
 * account ("w7 APPLICATION CSP", "DMAcc CSP"; MS-MDE2 §4 sample):
 *
 * - `APPLICATION` with `APPID` w7 → the DMAcc account `./SyncML/DMAcc/{accountUid(PROVIDER-ID)}`
 *   (replacing an account of that name): AppID, ServerID (PROVIDER-ID), Name (NAME), PrefConRef
 *   (TO-NAPID), `AppAddr/1/Addr` (ADDR, or the first APPADDR's ADDR; ADDRTYPE, PORT/PORTNBR as
 *   `AddrType` and `Port/1/PortNbr`), `AppAuth/CLCRED` (APPAUTH with AAUTHLEVEL APPSRV: the
 *   device's credential) and `AppAuth/SRVCRED` (AAUTHLEVEL CLIENT: the server's), each with
 *   AAuthLevel, AAuthType, AAuthName, AAuthSecret, AAuthData; `Ext/Microsoft` Role (ROLE), ProtoVer,
 *   DefaultEncoding, ConnRetryFreq, InitialBackOffTime (also spelled INITIALBACKOFTIME, as the CSP's
 *   tree does), MaxBackOffTime (MAXBACKOFTIME), BackCompatRetryDisabled and UseHwDevID (flags: their
 *   presence is true), SSLCLIENTCERTSEARCHCRITERIA.
 *
 * Rules the documents impose (w7 APPLICATION CSP): one w7 APPLICATION, with APPID, PROVIDER-ID,
 * an address, and both an APPSRV and a CLIENT APPAUTH ("Both APPSRV and CLIENT credentials must be
 * provided"), each with AAUTHSECRET; AAUTHTYPE is BASIC or DIGEST, and DIGEST for CLIENT; ROLE is
 * 32 ("The enterprise client cannot set the mobile operator role"); INIT is refused (not supported
 * in enterprise enrollment).
 */
import type { WapCharacteristic, WapParm } from '../enroll/wap-doc.js';
import { CLIENT_CREDENTIAL, DMACC, SERVER_CREDENTIAL, accountUid } from './dmacc-nodes.js';
import {
  WHOLE_NUMBER,
  checkDatatype,
  fail,
  located,
  noChildren,
  parmPath,
  parmsByName,
  required,
  show,
  valueOf,
  type Step,
} from './provisioning-elements.js';

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
export interface W7 {
  readonly providerId: string;
  readonly uid: string;
  readonly addr: string;
  /** The parm the address comes from. */
  readonly addrPath: string;
}

/** The w7 APPLICATION at `path`: the steps of its DMAcc account, and what it sets up. */
export function application(path: string, c: WapCharacteristic, steps: Step[]): W7 {
  const parms = parmsByName(path, c.parms, W7_PARMS, ['TO-NAPID']);
  const [appIdPath, appId] = required(path, parms, 'APPID');
  if (appId !== 'w7') fail(appIdPath, `${show(appId)}: only the w7 APPLICATION is modelled`);
  const [, providerId] = required(path, parms, 'PROVIDER-ID');
  const init = parms.get('INIT');
  if (init)
    fail(parmPath(path, init), 'not supported in an enterprise enrollment (w7 APPLICATION CSP)');
  const uid = accountUid(providerId);
  const base = `${DMACC}/${uid}`;
  const own = accountParms(path, parms, base, appIdPath, providerId);
  const { addresses, auths } = accountChildren(path, c);
  const addrNode = `${base}/AppAddr/1`;
  const address = accountAddress(path, parms, addresses, addrNode);
  const authSteps = credentials(path, auths, base);
  steps.push(
    { op: 'clear', path, uri: base },
    { op: 'node', path, uri: base },
    ...own,
    { op: 'node', path, uri: `${base}/AppAddr` },
    { op: 'node', path, uri: addrNode },
    ...address.steps,
    { op: 'node', path, uri: `${base}/AppAuth` },
    ...authSteps,
  );
  return { providerId, uid, addr: address.addr, addrPath: address.addrPath };
}

/** The account's own leaves (AppID, ServerID, Name, PrefConRef, `Ext/Microsoft`), below `base`. */
function accountParms(
  path: string,
  parms: Map<string, WapParm>,
  base: string,
  appIdPath: string,
  providerId: string,
): Step[] {
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
  return own;
}

/** A characteristic with its path. */
type Located = [WapCharacteristic, string];

/** The APPADDR and APPAUTH characteristics of the APPLICATION (nothing else may be there). */
function accountChildren(
  path: string,
  c: WapCharacteristic,
): { addresses: Located[]; auths: Located[] } {
  const addresses: Located[] = [];
  const auths: Located[] = [];
  for (const [child, childPath] of located(path, c.children)) {
    if (child.type === 'APPADDR') addresses.push([child, childPath]);
    else if (child.type === 'APPAUTH') auths.push([child, childPath]);
    else fail(childPath, 'unknown characteristic (APPADDR or APPAUTH)');
  }
  return { addresses, auths };
}

/** The account's address and the steps of `AppAddr/1` (`addrNode`). */
interface Address {
  readonly addr: string;
  /** The parm the address comes from. */
  readonly addrPath: string;
  readonly steps: Step[];
}

/**
 * The address: ADDR, else the first APPADDR ("other DM accounts are ignored"); every APPADDR is
 * checked all the same.
 */
function accountAddress(
  path: string,
  parms: Map<string, WapParm>,
  addresses: readonly Located[],
  addrNode: string,
): Address {
  const steps: Step[] = [];
  let addr: string | undefined;
  let addrPath = '';
  const direct = parms.get('ADDR');
  if (direct) {
    const at = parmPath(path, direct);
    addrPath = at;
    addr = valueOf(at, direct);
    if (addr === '') fail(at, 'is empty');
    steps.push({ op: 'set', path: at, uri: `${addrNode}/Addr`, value: addr });
  }
  for (const [appAddr, appAddrPath] of addresses) {
    const a = parmsByName(appAddrPath, appAddr.parms, ['ADDR', 'ADDRTYPE'], ['ADDRTYPE']);
    const [foundPath, value] = required(appAddrPath, a, 'ADDR');
    const ports = portNumbers(appAddrPath, appAddr);
    if (addr !== undefined) continue;
    addr = value;
    addrPath = foundPath;
    steps.push({ op: 'set', path: foundPath, uri: `${addrNode}/Addr`, value });
    const type = a.get('ADDRTYPE');
    if (type) {
      const at = parmPath(appAddrPath, type);
      steps.push({ op: 'set', path: at, uri: `${addrNode}/AddrType`, value: valueOf(at, type) });
    }
    const [first] = ports;
    if (first) {
      const [nbrPath, nbr] = first;
      steps.push({ op: 'node', path: nbrPath, uri: `${addrNode}/Port` });
      steps.push({ op: 'node', path: nbrPath, uri: `${addrNode}/Port/1` });
      steps.push({ op: 'set', path: nbrPath, uri: `${addrNode}/Port/1/PortNbr`, value: nbr });
    }
  }
  if (addr === undefined) fail(`${path}/parm[name=ADDR]`, 'missing');
  return { addr, addrPath, steps };
}

/** The PORTNBR (path and value) of each PORT of an APPADDR. */
function portNumbers(path: string, appAddr: WapCharacteristic): [string, string][] {
  const ports: [string, string][] = [];
  for (const [port, portPath] of located(path, appAddr.children)) {
    if (port.type !== 'PORT') fail(portPath, 'unknown characteristic (PORT)');
    noChildren(portPath, port);
    const p = parmsByName(portPath, port.parms, ['PORTNBR']);
    const [nbrPath, nbr] = required(portPath, p, 'PORTNBR');
    if (!WHOLE_NUMBER.test(nbr) || Number(nbr) > 65535)
      fail(nbrPath, `${show(nbr)} is not a port number (0–65535)`);
    ports.push([nbrPath, nbr]);
  }
  return ports;
}

/** The steps of `AppAuth/CLCRED` and `AppAuth/SRVCRED`: both APPAUTHs are required. */
function credentials(path: string, auths: readonly Located[], base: string): Step[] {
  const steps: Step[] = [];
  const levels = new Set<string>();
  for (const [auth, authPath] of auths) steps.push(...credential(authPath, auth, base, levels));
  for (const level of ['APPSRV', 'CLIENT'])
    if (!levels.has(level))
      fail(
        path,
        `missing characteristic[type=APPAUTH] with AAUTHLEVEL ${level} (both are required)`,
      );
  return steps;
}

/** One APPAUTH: its credential's steps. Adds its AAUTHLEVEL to `levels` (a second is refused). */
function credential(
  path: string,
  auth: WapCharacteristic,
  base: string,
  levels: Set<string>,
): Step[] {
  noChildren(path, auth);
  const a = parmsByName(path, auth.parms, [
    'AAUTHLEVEL',
    'AAUTHTYPE',
    'AAUTHNAME',
    'AAUTHSECRET',
    'AAUTHDATA',
  ]);
  const [levelPath, level] = required(path, a, 'AAUTHLEVEL');
  if (level !== 'APPSRV' && level !== 'CLIENT')
    fail(levelPath, `unknown AAUTHLEVEL ${show(level)} (APPSRV or CLIENT)`);
  if (levels.has(level)) fail(levelPath, `a second APPAUTH with AAUTHLEVEL ${level}`);
  levels.add(level);
  // APPSRV: "the client authenticates itself to the OMA DM Server" = DMAcc CLCRED.
  const credentialName = level === 'APPSRV' ? CLIENT_CREDENTIAL : SERVER_CREDENTIAL;
  const node = `${base}/AppAuth/${credentialName}`;
  const steps: Step[] = [
    { op: 'node', path, uri: node },
    { op: 'set', path: levelPath, uri: `${node}/AAuthLevel`, value: credentialName },
  ];
  const type = a.get('AAUTHTYPE');
  if (type) {
    const at = parmPath(path, type);
    const value = valueOf(at, type);
    if (value !== 'BASIC' && value !== 'DIGEST')
      fail(at, `unknown AAUTHTYPE ${show(value)} (BASIC or DIGEST)`);
    if (level === 'CLIENT' && value !== 'DIGEST')
      fail(at, 'must be DIGEST when AAUTHLEVEL is CLIENT (w7 APPLICATION CSP)');
    steps.push({ op: 'set', path: at, uri: `${node}/AAuthType`, value });
  }
  required(path, a, 'AAUTHSECRET');
  for (const [parm, leaf] of [
    ['AAUTHNAME', 'AAuthName'],
    ['AAUTHSECRET', 'AAuthSecret'],
    ['AAUTHDATA', 'AAuthData'],
  ] as const) {
    const p = a.get(parm);
    if (!p) continue;
    const at = parmPath(path, p);
    steps.push({ op: 'set', path: at, uri: `${node}/${leaf}`, value: valueOf(at, p) });
  }
  return steps;
}
