/**
 * Applying enrollment provisioning documents to the device's tree: the document Fleet builds
 * (`server/service/microsoft_mdm.go` NewCertStoreProvisioningData, NewApplicationProvisioningData,
 * NewDMClientProvisioningData), the MS-MDE2 sample, reading the account back, and the documents
 * the tree refuses (named by element, the tree unchanged).
 */
import { describe, expect, it } from 'vitest';
import { readAccount } from '../../src/core/dm/account-reader.js';
import { accountUid } from '../../src/core/dm/dmacc-nodes.js';
import {
  ProvisioningApplyError,
  applyProvisioning,
  removeProvider,
} from '../../src/core/dm/provisioning-apply.js';
import {
  defaultIdentity,
  windowsTree,
  type PollPatch,
  type WindowsTreeBindings,
} from '../../src/core/dm/windows-tree.js';
import { DmpushError } from '../../src/core/errors.js';
import { parseProvisioningDoc } from '../../src/core/enroll/provisioning-doc.js';
import type { ProvisioningDoc, WapCharacteristic, WapParm } from '../../src/core/enroll/wap-doc.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import {
  FLEET_ADDR as ADDR,
  FLEET_DEVICE_CERT as DEVICE_CERT,
  FLEET_DEVICE_THUMB as DEVICE_THUMB,
  FLEET_ROOT_CERT as ROOT_CERT,
  FLEET_ROOT_THUMB as ROOT_THUMB,
  FLEET_SECRET,
  FLEET_USERNAME,
  fleetProvisioningDoc,
} from '../helpers/fleet-provisioning.js';

function device(providerId: string | null = null) {
  const state = {
    pfn: null as string | null,
    log: [] as string[],
    polls: [] as PollPatch[],
    poll: DEFAULT_POLL,
    refusePfn: false,
  };
  const bindings: WindowsTreeBindings = {
    now: () => 0,
    readPush: () => ({ pfn: state.pfn, channelUri: null, status: PushStatus.NoChannelUri }),
    setPfn: (pfn) => {
      if (state.refusePfn) throw new Error('refused');
      state.log.push(`pfn=${pfn}`);
      state.pfn = pfn;
    },
    pollConfig: () => state.poll,
    setPoll: (patch) => {
      state.polls.push(patch);
      state.poll = {
        ...state.poll,
        first: { ...state.poll.first, ...patch.first },
        second: { ...state.poll.second, ...patch.second },
        remaining: { ...state.poll.remaining, ...patch.remaining },
      };
    },
    providerRemoved: (id) => state.log.push(`removed ${id}`),
  };
  return { state, tree: windowsTree(defaultIdentity('dev-1', '22H2'), providerId, bindings) };
}

const p = (name: string, value?: string, datatype?: string): WapParm =>
  datatype !== undefined
    ? { name, value: value ?? '', datatype }
    : value === undefined
      ? { name }
      : { name, value };
const c = (
  type: string,
  parms: WapParm[] = [],
  children: WapCharacteristic[] = [],
): WapCharacteristic => ({ type, parms, children });

/** The document Fleet builds for a device enrollment (`enrollmentType == "Device"` → My/System). */
function fleetDoc(username = FLEET_USERNAME, secret = FLEET_SECRET): ProvisioningDoc {
  return fleetProvisioningDoc({ username, secret, store: 'System' });
}

/** The MS-MDE2 sample (§4, "Enrollment web service"), with base64 in place of its placeholders. */
const MDE2_SAMPLE = `<wap-provisioningdoc version="1.1">
   <characteristic type="CertificateStore">
      <characteristic type="Root">
         <characteristic type="System">
            <characteristic type="031336C933CC7E228B88880D78824FB2909A0A2F">
               <parm name="EncodedCertificate" value="${ROOT_CERT}" />
            </characteristic>
         </characteristic>
      </characteristic>
   </characteristic>
   <characteristic type="CertificateStore">
      <characteristic type="My" >
         <characteristic type="User">
            <characteristic type="F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462">
               <parm name="EncodedCertificate" value="${DEVICE_CERT}" />
            </characteristic>
            <characteristic type="PrivateKeyContainer"/>
            <!-- This tag must be present for XML syntax correctness. -->
         </characteristic>
         <characteristic type="WSTEP">
            <characteristic type="Renew">
               <parm name="ROBOSupport" value="true" datatype="boolean"/>
               <parm name="RenewPeriod" value="60" datatype="integer"/>
               <parm name="RetryInterval" value="4" datatype="integer"/>
            </characteristic>
         </characteristic>
      </characteristic>
   </characteristic>
   <characteristic type="APPLICATION">
      <parm name="APPID" value="w7"/>
      <parm name="PROVIDER-ID" value="TestMDMServer"/>
      <parm name="NAME" value="Microsoft"/>
      <parm name="ADDR" value="https://DM.contoso.com:443/omadm/Windows.ashx"/>
      <parm name="CONNRETRYFREQ" value="6" />
      <parm name="INITIALBACKOFFTIME" value="30000" />
      <parm name="MAXBACKOFFTIME" value="120000" />
      <parm name="BACKCOMPATRETRYDISABLED" />
      <parm name="DEFAULTENCODING" value="application/vnd.syncml.dm+wbxml" />
      <parm name="SSLCLIENTCERTSEARCHCRITERIA" value=
  "Subject=DC%3dcom%2cDC%3dmicrosoft%2cCN%3dUsers%2cCN%3dAdministrator&amp;Stores=My%5CUser"/>
      <characteristic type="APPAUTH">
         <parm name="AAUTHLEVEL" value="CLIENT"/>
         <parm name="AAUTHTYPE" value="DIGEST"/>
         <parm name="AAUTHSECRET" value="password1"/>
         <parm name="AAUTHDATA" value="B64encodedBinaryNonceInsertedHere"/>
      </characteristic>
      <characteristic type="APPAUTH">
         <parm name="AAUTHLEVEL" value="APPSRV"/>
         <parm name="AAUTHTYPE" value="BASIC"/>
         <parm name="AAUTHNAME" value="testclient"/>
         <parm name="AAUTHSECRET" value="password2"/>
      </characteristic>
   </characteristic>
   <characteristic type="DMClient">
      <characteristic type="Provider">
         <characteristic type="TestMDMServer">
            <parm name="UPN" value="UserPrincipalName@contoso.com" datatype="string" />
            <characteristic type="Poll">
               <parm name="NumberOfFirstRetries" value="8" datatype="integer" />
               <parm name="IntervalForFirstSetOfRetries" value="15" datatype="integer" />
               <parm name="NumberOfSecondRetries" value="5" datatype="integer" />
               <parm name="IntervalForSecondSetOfRetries" value="3" datatype="integer" />
               <parm name="NumberOfRemainingScheduledRetries" value="0" datatype="integer" />
               <parm name="IntervalForRemainingScheduledRetries" value="1560" datatype="integer" />
               <parm name="PollOnLogin" value="true" datatype="boolean" />
            </characteristic>
            <parm name="EntDeviceName" value="Administrator_Windows" datatype="string" />
         </characteristic>
      </characteristic>
   </characteristic>
</wap-provisioningdoc>`;

const FLEET_ACC = `./SyncML/DMAcc/${accountUid('Fleet')}`;
const FLEET = './Vendor/MSFT/DMClient/Provider/Fleet';
const CS = './Vendor/MSFT/CertificateStore';

describe("Fleet's enrollment document", () => {
  it('applies: account, provider, certificates, renewal; the result names them', () => {
    const { tree, state } = device(null);
    const applied = applyProvisioning(tree, fleetDoc());
    expect(applied).toEqual({
      providerId: 'Fleet',
      accountUid: '0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077',
      managementUrl: ADDR,
      certificates: [
        { store: 'Root/System', thumbprint: ROOT_THUMB, encodedCertificate: ROOT_CERT },
        { store: 'My/System', thumbprint: DEVICE_THUMB, encodedCertificate: DEVICE_CERT },
      ],
    });
    expect(tree.read(`${FLEET_ACC}/AppID`)).toBe('w7');
    expect(tree.read(`${FLEET_ACC}/ServerID`)).toBe('Fleet');
    expect(tree.read(`${FLEET_ACC}/Name`)).toBe('Fleet');
    expect(tree.read(`${FLEET_ACC}/AppAddr/1/Addr`)).toBe(ADDR);
    expect(tree.read(`${FLEET_ACC}/AppAuth`)).toBe('SRVCRED/CLCRED');
    expect(tree.read(`${FLEET_ACC}/AppAuth/CLCRED/AAuthName`)).toBe('device-uuid');
    expect(tree.peek(`${FLEET_ACC}/AppAuth/CLCRED/AAuthSecret`)).toBe('f00d-secret');
    expect(tree.peek(`${FLEET_ACC}/AppAuth/SRVCRED/AAuthSecret`)).toBe('dummy');
    expect(tree.read(`${FLEET_ACC}/AppAuth/SRVCRED/AAuthLevel`)).toBe('SRVCRED');
    const ms = `${FLEET_ACC}/Ext/Microsoft`;
    expect(tree.read(`${ms}/ConnRetryFreq`)).toBe('6');
    expect(tree.read(`${ms}/InitialBackOffTime`)).toBe('30000');
    expect(tree.read(`${ms}/MaxBackOffTime`)).toBe('120000');
    expect(tree.read(`${ms}/BackCompatRetryDisabled`)).toBe('true');
    expect(tree.read('./Vendor/MSFT/DMClient/Provider')).toBe('Fleet');
    expect(tree.read(`${FLEET}/ManagementServiceAddress`)).toBe(ADDR);
    expect(tree.read(`${FLEET}/Poll/PollOnLogin`)).toBe('true');
    expect(tree.read(`${FLEET}/Poll/AllUsersPollOnFirstLogin`)).toBe('true');
    expect(state.poll.first).toEqual({ intervalMinutes: 1, count: 0 });
    expect(state.polls).toHaveLength(6);
    expect(tree.read(`${CS}/Root/System/${ROOT_THUMB}/EncodedCertificate`)).toBe(ROOT_CERT);
    expect(tree.read(`${CS}/My/System/${DEVICE_THUMB}/EncodedCertificate`)).toBe(DEVICE_CERT);
    expect(tree.read(`${CS}/My/WSTEP/Renew/RenewPeriod`)).toBe('180');
  });

  it("its account is the device's: APPSRV's name and secret, the placeholder nonce read as none", () => {
    const { tree } = device(null);
    applyProvisioning(tree, fleetDoc());
    const account = readAccount(tree, 'Fleet');
    expect(account).toMatchObject({
      serverId: 'Fleet',
      serverUrl: ADDR,
      client: { scheme: 'md5', name: 'device-uuid', secret: 'f00d-secret', nonce: '' },
    });
    expect(readAccount(tree, 'Other')).toBeNull();
    // The server's NextNonce is kept in AAuthData, saved with the tree, read by the next session.
    account?.saveNonce('MTIzNC01Njc4');
    expect(readAccount(tree, 'Fleet')?.client?.nonce).toBe('MTIzNC01Njc4');
    expect(tree.saveState()).toContainEqual({
      uri: `${FLEET_ACC}/AppAuth/CLCRED/AAuthData`,
      present: true,
      value: 'MTIzNC01Njc4',
    });
  });

  it('applied again (a new enrollment), it replaces the account and updates the provider', () => {
    const { tree } = device(null);
    applyProvisioning(tree, fleetDoc());
    tree.run({
      kind: 'Replace',
      cmdId: '1',
      items: [{ target: `${FLEET}/Poll/PollOnLogin`, data: 'false' }],
    });
    applyProvisioning(tree, fleetDoc('device-uuid', 'second-secret'));
    expect(readAccount(tree, 'Fleet')?.client?.secret).toBe('second-secret');
    expect(tree.read('./SyncML/DMAcc')).toBe(accountUid('Fleet'));
    expect(tree.read(`${FLEET}/Poll/PollOnLogin`)).toBe('true');
  });

  it('applies to a device whose configured provider it names, keeping what the server stored', () => {
    const { tree } = device('Fleet');
    tree.run({
      kind: 'Add',
      cmdId: '1',
      items: [{ target: `${FLEET}/EntDMID`, data: 'ent-1' }],
    });
    applyProvisioning(tree, fleetDoc());
    expect(tree.read(`${FLEET}/EntDMID`)).toBe('ent-1');
    expect(tree.read(`${FLEET}/ManagementServiceAddress`)).toBe(ADDR);
  });

  it('a rekey (Replace of AppAuth/CLCRED/AAuthName|AAuthSecret) is seen by the next readAccount', () => {
    const { tree } = device(null);
    applyProvisioning(tree, fleetDoc());
    const outcome = tree.run({
      kind: 'Replace',
      cmdId: '9',
      items: [
        { target: `${FLEET_ACC}/AppAuth/CLCRED/AAuthName`, data: 'device-uuid' },
        { target: `${FLEET_ACC}/AppAuth/CLCRED/AAuthSecret`, data: 'rekeyed' },
      ],
    });
    expect(outcome.statuses.map((s) => s.code)).toEqual([200, 200]);
    expect(readAccount(tree, 'Fleet')?.client?.secret).toBe('rekeyed');
  });
});

describe('the MS-MDE2 sample document', () => {
  it('applies: BASIC client credential, WBXML encoding, UPN, poll schedule, a user certificate', () => {
    const { tree, state } = device(null);
    const applied = applyProvisioning(tree, parseProvisioningDoc(MDE2_SAMPLE));
    expect(applied.providerId).toBe('TestMDMServer');
    expect(applied.managementUrl).toBe('https://DM.contoso.com:443/omadm/Windows.ashx');
    expect(applied.certificates.map((x) => x.store)).toEqual(['Root/System', 'My/User']);
    const acc = `./SyncML/DMAcc/${accountUid('TestMDMServer')}`;
    expect(tree.read(`${acc}/Ext/Microsoft/DefaultEncoding`)).toBe(
      'application/vnd.syncml.dm+wbxml',
    );
    expect(tree.read(`${acc}/Ext/Microsoft/SSLCLIENTCERTSEARCHCRITERIA`)).toBe(
      'Subject=DC%3dcom%2cDC%3dmicrosoft%2cCN%3dUsers%2cCN%3dAdministrator&Stores=My%5CUser',
    );
    expect(tree.peek(`${acc}/AppAuth/SRVCRED/AAuthData`)).toBe('B64encodedBinaryNonceInsertedHere');
    expect(readAccount(tree, 'TestMDMServer')?.client).toEqual({
      scheme: 'basic',
      name: 'testclient',
      secret: 'password2',
      nonce: '',
    });
    const provider = './Vendor/MSFT/DMClient/Provider/TestMDMServer';
    expect(tree.read(`${provider}/UPN`)).toBe('UserPrincipalName@contoso.com');
    expect(tree.read(`${provider}/EntDeviceName`)).toBe('Administrator_Windows');
    expect(state.poll.remaining).toEqual({ intervalMinutes: 1560, count: 0 });
    expect(tree.read(`${CS}/My/User`)).toBe(DEVICE_THUMB);
  });
});

/** Returns `doc` with `edit` applied to its characteristic at `path` (types from the root). */
function edit(
  doc: ProvisioningDoc,
  path: string[],
  change: (c: WapCharacteristic) => WapCharacteristic,
): ProvisioningDoc {
  const walk = (list: readonly WapCharacteristic[], rest: string[]): WapCharacteristic[] => {
    const [head, ...tail] = rest;
    let done = false;
    return list.map((x) => {
      if (done || x.type !== head) return x;
      done = true;
      return tail.length === 0 ? change(x) : { ...x, children: walk(x.children, tail) };
    });
  };
  return { ...doc, characteristics: walk(doc.characteristics, path) };
}
const withoutParm = (name: string) => (x: WapCharacteristic) => ({
  ...x,
  parms: x.parms.filter((q) => q.name !== name),
});
const setParm = (parm: WapParm) => (x: WapCharacteristic) => ({
  ...x,
  parms: [...x.parms.filter((q) => q.name !== parm.name), parm],
});
const APP = 'characteristic[type=APPLICATION]';
const APPSRV = `${APP}/characteristic[type=APPAUTH][2]`;
const POLL =
  'characteristic[type=DMClient]/characteristic[type=Provider]/characteristic[type=Fleet]/characteristic[type=Poll]';

describe('documents the tree refuses: one error naming the element, the tree unchanged', () => {
  const appAuth =
    (level: string, change: (x: WapCharacteristic) => WapCharacteristic) =>
    (x: WapCharacteristic): WapCharacteristic => ({
      ...x,
      children: x.children.map((a) =>
        a.parms.some((q) => q.name === 'AAUTHLEVEL' && q.value === level) ? change(a) : a,
      ),
    });
  const cases: [string, ProvisioningDoc, string, RegExp][] = [
    [
      'no ADDR',
      edit(fleetDoc(), ['APPLICATION'], withoutParm('ADDR')),
      `${APP}/parm[name=ADDR]`,
      /^missing$/,
    ],
    [
      'no PROVIDER-ID',
      edit(fleetDoc(), ['APPLICATION'], withoutParm('PROVIDER-ID')),
      `${APP}/parm[name=PROVIDER-ID]`,
      /^missing$/,
    ],
    [
      'an APPID other than w7',
      edit(fleetDoc(), ['APPLICATION'], setParm(p('APPID', 'w4'))),
      `${APP}/parm[name=APPID]`,
      /only the w7 APPLICATION/,
    ],
    [
      'a bad integer',
      edit(fleetDoc(), ['APPLICATION'], setParm(p('CONNRETRYFREQ', 'six'))),
      `${APP}/parm[name=CONNRETRYFREQ]`,
      /"six" is not a whole number/,
    ],
    [
      'an unknown parm',
      edit(fleetDoc(), ['APPLICATION'], setParm(p('FOO', '1'))),
      `${APP}/parm[name=FOO]`,
      /unknown parm/,
    ],
    [
      'a flag with a value',
      edit(fleetDoc(), ['APPLICATION'], setParm(p('BACKCOMPATRETRYDISABLED', 'yes'))),
      `${APP}/parm[name=BACKCOMPATRETRYDISABLED]`,
      /takes no value/,
    ],
    [
      'INIT',
      edit(fleetDoc(), ['APPLICATION'], setParm(p('INIT'))),
      `${APP}/parm[name=INIT]`,
      /not supported/,
    ],
    [
      'the mobile operator role',
      edit(fleetDoc(), ['APPLICATION'], setParm(p('ROLE', '8'))),
      `${APP}/parm[name=ROLE]`,
      /role is 32/,
    ],
    [
      'an unknown encoding (the tree refuses it)',
      edit(fleetDoc(), ['APPLICATION'], setParm(p('DEFAULTENCODING', 'text/xml'))),
      `${APP}/parm[name=DEFAULTENCODING]`,
      /DefaultEncoding "text\/xml": 415/,
    ],
    [
      'an unknown AAUTHTYPE',
      edit(fleetDoc(), ['APPLICATION'], appAuth('APPSRV', setParm(p('AAUTHTYPE', 'NTLM')))),
      `${APPSRV}/parm[name=AAUTHTYPE]`,
      /unknown AAUTHTYPE "NTLM"/,
    ],
    [
      'BASIC for the server credential',
      edit(fleetDoc(), ['APPLICATION'], appAuth('CLIENT', setParm(p('AAUTHTYPE', 'BASIC')))),
      `${APP}/characteristic[type=APPAUTH][1]/parm[name=AAUTHTYPE]`,
      /must be DIGEST/,
    ],
    [
      'no AAUTHSECRET',
      edit(fleetDoc(), ['APPLICATION'], appAuth('APPSRV', withoutParm('AAUTHSECRET'))),
      `${APPSRV}/parm[name=AAUTHSECRET]`,
      /^missing$/,
    ],
    [
      'no APPSRV credential',
      edit(fleetDoc(), ['APPLICATION'], (x) => ({ ...x, children: x.children.slice(0, 1) })),
      APP,
      /AAUTHLEVEL APPSRV/,
    ],
    [
      'a DMClient provider that is not the PROVIDER-ID',
      edit(fleetDoc(), ['DMClient', 'Provider', 'Fleet'], (x) => ({ ...x, type: 'Other' })),
      'characteristic[type=DMClient]/characteristic[type=Provider]/characteristic[type=Other]',
      /PROVIDER-ID "Fleet"/,
    ],
    [
      'a poll value the node refuses',
      edit(
        fleetDoc(),
        ['DMClient', 'Provider', 'Fleet', 'Poll'],
        setParm(p('NumberOfFirstRetries', '-1', 'integer')),
      ),
      `${POLL}/parm[name=NumberOfFirstRetries]`,
      /"-1": 415/,
    ],
    [
      "a SyncApplicationVersion above the device's MaxSyncApplicationVersion",
      edit(
        fleetDoc(),
        ['DMClient', 'Provider', 'Fleet'],
        setParm(p('SyncApplicationVersion', '3.0')),
      ),
      'characteristic[type=DMClient]/characteristic[type=Provider]/characteristic[type=Fleet]/parm[name=SyncApplicationVersion]',
      /"3.0": 406 not supported by the device/,
    ],
    [
      'a datatype the value does not fit',
      edit(
        fleetDoc(),
        ['DMClient', 'Provider', 'Fleet', 'Poll'],
        setParm(p('PollOnLogin', 'yes', 'boolean')),
      ),
      `${POLL}/parm[name=PollOnLogin]`,
      /"yes" is not true or false/,
    ],
    [
      'a node the DMClient CSP does not have here',
      edit(fleetDoc(), ['DMClient', 'Provider', 'Fleet'], setParm(p('Nope', 'x'))),
      'characteristic[type=DMClient]/characteristic[type=Provider]/characteristic[type=Fleet]/parm[name=Nope]',
      /Add .*Fleet\/Nope: 405/,
    ],
    [
      'a thumbprint that is not one',
      edit(fleetDoc(), ['CertificateStore', 'Root', 'System'], (x) => ({
        ...x,
        children: [c('nothash', [p('EncodedCertificate', ROOT_CERT)])],
      })),
      'characteristic[type=CertificateStore]/characteristic[type=Root]/characteristic[type=System]/characteristic[type=nothash]',
      /not a certificate thumbprint/,
    ],
    [
      'a certificate that is not base64',
      edit(
        fleetDoc(),
        ['CertificateStore', 'Root', 'System', ROOT_THUMB],
        setParm(p('EncodedCertificate', 'not base64!')),
      ),
      `characteristic[type=CertificateStore]/characteristic[type=Root]/characteristic[type=System]/characteristic[type=${ROOT_THUMB}]/parm[name=EncodedCertificate]`,
      /415 not a valid value/,
    ],
    [
      'an unknown characteristic',
      {
        ...fleetDoc(),
        characteristics: [...fleetDoc().characteristics, c('EnterpriseAppManagement')],
      },
      'characteristic[type=EnterpriseAppManagement]',
      /not a characteristic the device applies/,
    ],
    [
      'no w7 APPLICATION',
      {
        ...fleetDoc(),
        characteristics: fleetDoc().characteristics.filter((x) => x.type !== 'APPLICATION'),
      },
      APP,
      /missing/,
    ],
  ];

  it.each(cases)('%s', (_what, doc, path, reason) => {
    const { tree, state } = device(null);
    const before = { list: tree.list(), saved: tree.saveState() };
    let error: unknown;
    try {
      applyProvisioning(tree, doc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProvisioningApplyError);
    expect(error).toBeInstanceOf(DmpushError);
    const e = error as ProvisioningApplyError;
    expect(e.code).toBe('E_PROVISIONING_APPLY');
    expect(e.path).toBe(path);
    expect(e.reason).toMatch(reason);
    expect(e.message).toBe(`${path}: ${e.reason}`);
    expect({ list: tree.list(), saved: tree.saveState() }).toEqual(before);
    expect(state.polls).toEqual([]);
    expect(state.log).toEqual([]);
  });

  it('a side effect that throws at the commit is reported; the rest stays applied (516)', () => {
    const { tree, state } = device(null);
    state.refusePfn = true;
    const doc = edit(fleetDoc(), ['DMClient', 'Provider', 'Fleet'], (x) => ({
      ...x,
      children: [...x.children, c('Push', [p('PFN', 'Fleet_8wekyb3d8bbwe')])],
    }));
    expect(() => applyProvisioning(tree, doc)).toThrow(
      /characteristic\[type=Push\]\/parm\[name=PFN\]: stored, but the device failed/,
    );
    expect(readAccount(tree, 'Fleet')).not.toBeNull();
  });
});

describe('removeProvider', () => {
  it("removes the provider's account and its DMClient node, clearing the PFN it held", () => {
    const { tree, state } = device(null);
    const doc = edit(fleetDoc(), ['DMClient', 'Provider', 'Fleet'], (x) => ({
      ...x,
      children: [...x.children, c('Push', [p('PFN', 'Fleet_8wekyb3d8bbwe')])],
    }));
    applyProvisioning(tree, doc);
    expect(state.pfn).toBe('Fleet_8wekyb3d8bbwe');
    removeProvider(tree, 'Fleet');
    expect(readAccount(tree, 'Fleet')).toBeNull();
    expect(tree.read('./SyncML/DMAcc')).toBe('');
    expect(tree.read('./Vendor/MSFT/DMClient/Provider')).toBe('');
    expect(state.log).toEqual(['pfn=Fleet_8wekyb3d8bbwe', 'removed Fleet', 'pfn=null']);
    expect(tree.read(`${CS}/My/System`)).toBe(DEVICE_THUMB);
    removeProvider(tree, 'Fleet');
  });
});
