/**
 * The device tree's dynamic nodes: DMClient `Provider/{ProviderID}` (Add, Delete, Get), the PFN's
 * owner among providers, the DMAcc accounts, the CertificateStore's implicit `{CertHash}`, their
 * durable state, and the device's wiring (its account, its `providerRemoved` hook).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAccount } from '../../src/core/dm/account-reader.js';
import { accountUid } from '../../src/core/dm/dmacc-nodes.js';
import { PUSH_PROVIDER } from '../../src/core/dm/dmclient-nodes.js';
import type { CommandOutcome, DmTree, DmTreeState } from '../../src/core/dm/dm-tree.js';
import { applyProvisioning } from '../../src/core/dm/provisioning-apply.js';
import {
  defaultIdentity,
  windowsTree,
  type PollPatch,
  type WindowsTreeBindings,
} from '../../src/core/dm/windows-tree.js';
import type { ProvisioningDoc, WapCharacteristic } from '../../src/core/enroll/wap-doc.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import { ValidationError } from '../../src/core/errors.js';
import { Simulation } from '../../src/core/simulation.js';
import type {
  Command,
  ContainerCommand,
  Item,
  NodeCommand,
  NodeCommandKind,
} from '../../src/core/syncml/message.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { loadScenario } from '../../src/scenario/load.js';
import { fixture } from '../helpers/run-scenario.js';

let nextId = 1;
function cmd(kind: NodeCommandKind, ...items: Item[]): NodeCommand {
  return { kind, cmdId: String(nextId++), items };
}
function at(target: string, data?: string): Item {
  return data === undefined ? { target } : { target, data };
}
function atomic(...commands: Command[]): ContainerCommand {
  return { kind: 'Atomic', cmdId: String(nextId++), commands };
}
function code(outcome: CommandOutcome): number {
  expect(outcome.statuses).toHaveLength(1);
  return (outcome.statuses[0] as { code: number }).code;
}
function codes(outcome: CommandOutcome): number[] {
  return [...outcome.statuses.map((s) => s.code), ...outcome.children.flatMap(codes)];
}

/** A fake device behind the tree, logging what the tree asks of it. */
function device(providerId: string | null = 'MDMSRV', pfn: string | null = null) {
  const state = {
    pfn,
    channelUri: null as string | null,
    status: PushStatus.NoChannelUri as PushStatus,
    poll: DEFAULT_POLL,
    log: [] as string[],
    pollPatches: [] as PollPatch[],
  };
  const bindings: WindowsTreeBindings = {
    now: () => Date.parse('2026-03-01T10:00:00Z'),
    readPush: () => ({ pfn: state.pfn, channelUri: state.channelUri, status: state.status }),
    setPfn: (value) => {
      state.log.push(`pfn=${value}`);
      state.pfn = value;
    },
    pollConfig: () => state.poll,
    setPoll: (patch) => {
      state.pollPatches.push(patch);
      state.poll = {
        ...state.poll,
        first: { ...state.poll.first, ...patch.first },
        second: { ...state.poll.second, ...patch.second },
        remaining: { ...state.poll.remaining, ...patch.remaining },
      };
    },
    providerRemoved: (id) => state.log.push(`removed ${id}`),
  };
  const tree = windowsTree(defaultIdentity('dev-1', '22H2'), providerId, bindings);
  return { state, tree, bindings };
}

const PROVIDERS = './Vendor/MSFT/DMClient/Provider';
const MDMSRV = `${PROVIDERS}/MDMSRV`;
const OTHER = `${PROVIDERS}/OTHER`;
const THUMB = 'F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462';
const CERT = 'MIIBszCCAVmgAwIBAgIUQ2VydA==';

/** Everything a server could see, plus what the tree saves: equal trees show equal lists. */
function view(tree: DmTree): unknown {
  return { list: tree.list(), state: tree.saveState() };
}

describe('Provider/{ProviderID} is dynamic (DMClient CSP: Add, Delete, Get)', () => {
  it('a device may start with no provider; Add creates one with the CSP nodes and defaults', () => {
    const { tree, state } = device(null, 'App_8wekyb3d8bbwe');
    expect(tree.read(PROVIDERS)).toBe('');
    expect(code(tree.run(cmd('Get', at(OTHER))))).toBe(404);
    expect(code(tree.run(cmd('Add', at(OTHER))))).toBe(200);
    expect(tree.read(PROVIDERS)).toBe('OTHER');
    expect(tree.read(OTHER)).toBe(
      'Push/Poll/AADDeviceID/HWDevID/EnrollmentType/MaxSyncApplicationVersion/' +
        'ManagementServiceAddress/SyncApplicationVersion/RequireMessageSigning/Unenroll',
    );
    expect(tree.read(`${OTHER}/EnrollmentType`)).toBe('Full');
    expect(tree.read(`${OTHER}/SyncApplicationVersion`)).toBe('1.0');
    expect(tree.read(`${OTHER}/HWDevID`)).toBe(tree.read('./Vendor/MSFT/DMClient/HWDevID'));
    expect(tree.read(`${OTHER}/Poll/IntervalForFirstSetOfRetries`)).toBe('15');
    expect(tree.read(`${OTHER}/Poll/PollOnLogin`)).toBe('false');
    // The preset PFN belongs to no provider yet.
    expect(tree.read(`${OTHER}/Push`)).toBe('ChannelURI/Status');
    expect(code(tree.run(cmd('Add', at(OTHER))))).toBe(418);
    expect(code(tree.run(cmd('Add', at(`${OTHER}/EntDMID`, 'srv-1'))))).toBe(200);
    expect(tree.read(`${OTHER}/EntDMID`)).toBe('srv-1');
    expect(state.log).toEqual([]);
  });

  it('Delete removes the subtree and calls providerRemoved; Add again starts afresh', () => {
    const { tree, state } = device();
    tree.run(cmd('Add', at(OTHER)));
    tree.run(cmd('Add', at(`${OTHER}/EntDMID`, 'srv-1')));
    expect(code(tree.run(cmd('Delete', at(OTHER))))).toBe(200);
    expect(state.log).toEqual(['removed OTHER']);
    expect(code(tree.run(cmd('Get', at(`${OTHER}/EntDMID`))))).toBe(404);
    expect(code(tree.run(cmd('Delete', at(OTHER))))).toBe(404);
    expect(tree.read(PROVIDERS)).toBe('MDMSRV');
    expect(tree.list().some((n) => n.uri.startsWith(OTHER))).toBe(false);
    expect(code(tree.run(cmd('Add', at(OTHER))))).toBe(200);
    expect(code(tree.run(cmd('Get', at(`${OTHER}/EntDMID`))))).toBe(404);
    // The configured provider too: deleted, then added back with its defaults.
    tree.run(cmd('Replace', at(`${MDMSRV}/Poll/PollOnLogin`, 'true')));
    expect(code(tree.run(cmd('Delete', at(MDMSRV))))).toBe(200);
    expect(state.log).toEqual(['removed OTHER', 'removed MDMSRV']);
    expect(code(tree.run(cmd('Add', at(MDMSRV))))).toBe(200);
    expect(tree.read(`${MDMSRV}/Poll/PollOnLogin`)).toBe('false');
    // Deleting a provider leaves the device's one poll schedule alone.
    expect(state.pollPatches).toEqual([]);
  });

  it('an Atomic that fails leaves no trace of the provider it added; Delete + Add in one Atomic starts afresh', () => {
    const { tree } = device();
    const before = view(tree);
    const failed = tree.run(
      atomic(
        cmd('Add', at(OTHER)),
        cmd('Add', at(`${OTHER}/EntDMID`, 'x')),
        cmd('Replace', at('./DevInfo/Man', 'nope')),
      ),
    );
    expect(codes(failed)).toEqual([507, 216, 216, 405]);
    expect(view(tree)).toEqual(before);
    tree.run(cmd('Add', at(OTHER)));
    tree.run(cmd('Add', at(`${OTHER}/EntDMID`, 'old')));
    const again = tree.run(
      atomic(
        cmd('Delete', at(OTHER)),
        cmd('Add', at(OTHER)),
        cmd('Add', at(`${OTHER}/UPN`, 'u@example.com')),
      ),
    );
    expect(codes(again)).toEqual([200, 200, 200, 200]);
    expect(tree.read(`${OTHER}/EntDMID`)).toBeNull();
    expect(tree.read(`${OTHER}/UPN`)).toBe('u@example.com');
  });

  it('stored leaves are per provider', () => {
    const { tree } = device();
    tree.run(cmd('Add', at(OTHER)));
    tree.run(cmd('Add', at(`${OTHER}/EntDeviceName`, 'other-name')));
    tree.run(cmd('Replace', at(`${MDMSRV}/ManagementServiceAddress`, 'https://mdmsrv')));
    expect(tree.read(`${MDMSRV}/EntDeviceName`)).toBeNull();
    expect(tree.read(`${OTHER}/EntDeviceName`)).toBe('other-name');
    expect(tree.read(`${OTHER}/ManagementServiceAddress`)).toBe('');
  });
});

describe('one WNS channel, one poll schedule: the PFN belongs to the provider that set it (assumption)', () => {
  it('the configured provider holds the preset PFN; under another, PFN is 404 and ChannelURI empty', () => {
    const { tree, state } = device('MDMSRV', 'App_8wekyb3d8bbwe');
    state.channelUri = 'https://wns.example/?token=abc';
    state.status = PushStatus.Success;
    tree.run(cmd('Add', at(OTHER)));
    expect(tree.read(`${MDMSRV}/Push/PFN`)).toBe('App_8wekyb3d8bbwe');
    expect(tree.read(`${MDMSRV}/Push/ChannelURI`)).toBe('https://wns.example/?token=abc');
    expect(tree.read(`${MDMSRV}/Push/Status`)).toBe('0');
    expect(code(tree.run(cmd('Get', at(`${OTHER}/Push/PFN`))))).toBe(404);
    expect(code(tree.run(cmd('Replace', at(`${OTHER}/Push/PFN`, 'X_1'))))).toBe(404);
    expect(tree.read(`${OTHER}/Push/ChannelURI`)).toBe('');
    expect(tree.read(`${OTHER}/Push/Status`)).toBe(String(PushStatus.NoChannelUri));
  });

  it('Add of Push/PFN under another provider moves the PFN there; Add under the first moves it back', () => {
    const { tree, state } = device('MDMSRV', 'App_8wekyb3d8bbwe');
    tree.run(cmd('Add', at(OTHER)));
    expect(code(tree.run(cmd('Add', at(`${OTHER}/Push/PFN`, 'Other_8wekyb3d8bbwe'))))).toBe(200);
    expect(state.log).toEqual(['pfn=Other_8wekyb3d8bbwe']);
    expect(tree.read(`${OTHER}/Push/PFN`)).toBe('Other_8wekyb3d8bbwe');
    expect(code(tree.run(cmd('Get', at(`${MDMSRV}/Push/PFN`))))).toBe(404);
    expect(tree.peek(PUSH_PROVIDER)).toBe('OTHER');
    expect(code(tree.run(cmd('Add', at(`${MDMSRV}/Push/PFN`, 'App_8wekyb3d8bbwe'))))).toBe(200);
    expect(tree.read(`${MDMSRV}/Push/PFN`)).toBe('App_8wekyb3d8bbwe');
    expect(code(tree.run(cmd('Get', at(`${OTHER}/Push/PFN`))))).toBe(404);
    // A rolled-back Add moves nothing.
    tree.run(
      atomic(cmd('Add', at(`${OTHER}/Push/PFN`, 'Y_1')), cmd('Replace', at('./DevInfo/Man', 'x'))),
    );
    expect(tree.peek(PUSH_PROVIDER)).toBe('MDMSRV');
  });

  it("deleting the PFN's provider calls providerRemoved, then clears the PFN; another's leaves it", () => {
    const { tree, state } = device('MDMSRV', 'App_8wekyb3d8bbwe');
    tree.run(cmd('Add', at(OTHER)));
    tree.run(cmd('Delete', at(OTHER)));
    expect(state.log).toEqual(['removed OTHER']);
    expect(state.pfn).toBe('App_8wekyb3d8bbwe');
    tree.run(cmd('Delete', at(MDMSRV)));
    expect(state.log).toEqual(['removed OTHER', 'removed MDMSRV', 'pfn=null']);
  });

  it("every provider's numeric Poll nodes are the device's schedule", () => {
    const { tree, state } = device();
    tree.run(cmd('Add', at(OTHER)));
    expect(code(tree.run(cmd('Replace', at(`${OTHER}/Poll/NumberOfFirstRetries`, '9'))))).toBe(200);
    expect(state.pollPatches).toEqual([{ first: { count: 9 } }]);
    expect(tree.read(`${MDMSRV}/Poll/NumberOfFirstRetries`)).toBe('9');
    expect(code(tree.run(cmd('Delete', at(`${OTHER}/Poll/NumberOfFirstRetries`))))).toBe(200);
    expect(tree.read(`${MDMSRV}/Poll/NumberOfFirstRetries`)).toBe(String(DEFAULT_POLL.first.count));
  });

  it('the owner is a hidden node: commands and listings do not see it', () => {
    const { tree } = device();
    expect(tree.read('./Vendor/MSFT/DMClient')).toBe('HWDevID/Provider');
    expect(code(tree.run(cmd('Get', at(PUSH_PROVIDER))))).toBe(404);
    expect(code(tree.run(cmd('Add', at(PUSH_PROVIDER, 'X'))))).toBe(405);
    expect(code(tree.run(cmd('Replace', at(PUSH_PROVIDER, 'X'))))).toBe(404);
    expect(tree.list().some((n) => n.uri === PUSH_PROVIDER)).toBe(false);
    expect(tree.peek(PUSH_PROVIDER)).toBe('MDMSRV');
    expect(device(null).tree.peek(PUSH_PROVIDER)).toBe('');
  });
});

const ACC = './SyncML/DMAcc/acc1';

describe('DMAcc CSP (./SyncML/DMAcc)', () => {
  it('a server adds an account: Ext/Microsoft comes with it, AppAddr and AppAuth are added', () => {
    const { tree } = device();
    expect(tree.read('./SyncML/DMAcc')).toBe('');
    expect(code(tree.run(cmd('Get', at('./Vendor/MSFT/DMAcc'))))).toBe(404);
    expect(code(tree.run(cmd('Add', at(ACC))))).toBe(200);
    expect(tree.read(ACC)).toBe('Ext');
    expect(tree.read(`${ACC}/Ext/Microsoft`)).toBe(
      'Role/DefaultEncoding/UseHwDevID/ConnRetryFreq/InitialBackOffTime/MaxBackOffTime/' +
        'BackCompatRetryDisabled/UseNonceResync',
    );
    expect(tree.read(`${ACC}/Ext/Microsoft/ConnRetryFreq`)).toBe('3');
    expect(tree.read(`${ACC}/Ext/Microsoft/InitialBackOffTime`)).toBe('16000');
    expect(tree.read(`${ACC}/Ext/Microsoft/MaxBackOffTime`)).toBe('86400000');
    expect(tree.read(`${ACC}/Ext/Microsoft/DefaultEncoding`)).toBe('application/vnd.syncml.dm+xml');
    const adds = tree.run(
      cmd(
        'Add',
        at(`${ACC}/ServerID`, 'MDMSRV'),
        at(`${ACC}/AppAddr`),
        at(`${ACC}/AppAddr/1`),
        at(`${ACC}/AppAddr/1/Addr`, 'https://mdm.example/omadm'),
        at(`${ACC}/AppAuth`),
        at(`${ACC}/AppAuth/CLCRED`),
        at(`${ACC}/AppAuth/CLCRED/AAuthLevel`, 'CLCRED'),
        at(`${ACC}/AppAuth/CLCRED/AAuthType`, 'DIGEST'),
        at(`${ACC}/AppAuth/CLCRED/AAuthName`, 'dev'),
        at(`${ACC}/AppAuth/CLCRED/AAuthSecret`, 's3cret'),
      ),
    );
    expect(adds.statuses.map((s) => s.code)).toEqual(Array(10).fill(200));
    expect(tree.read(`${ACC}/AppAddr/1/AddrType`)).toBe('URI');
    expect(code(tree.run(cmd('Add', at(`${ACC}/AppAuth/CLCRED/AAuthType`, 'NTLM'))))).toBe(418);
    expect(code(tree.run(cmd('Replace', at(`${ACC}/AppAuth/CLCRED/AAuthType`, 'NTLM'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at(`${ACC}/Ext/Microsoft/ConnRetryFreq`, '-1'))))).toBe(
      415,
    );
    expect(code(tree.run(cmd('Replace', at(ACC, 'renamed'))))).toBe(405);
    expect(readAccount(tree, 'MDMSRV')).toMatchObject({
      serverId: 'MDMSRV',
      serverUrl: 'https://mdm.example/omadm',
      client: { scheme: 'md5', name: 'dev', secret: 's3cret', nonce: '' },
    });
  });

  it('AAuthSecret and AAuthData are write-only: Get is 405, listings show no value', () => {
    const { tree } = device();
    tree.run(cmd('Add', at(ACC)));
    tree.run(cmd('Add', at(`${ACC}/AppAuth`), at(`${ACC}/AppAuth/CLCRED`)));
    // "you can't use the Replace command unless the node already exists"
    expect(code(tree.run(cmd('Replace', at(`${ACC}/AppAuth/CLCRED/AAuthSecret`, 'x'))))).toBe(404);
    tree.run(
      cmd(
        'Add',
        at(`${ACC}/AppAuth/CLCRED/AAuthSecret`, 'x'),
        at(`${ACC}/AppAuth/CLCRED/AAuthData`, 'bm9uY2U='),
      ),
    );
    expect(code(tree.run(cmd('Get', at(`${ACC}/AppAuth/CLCRED/AAuthSecret`))))).toBe(405);
    expect(code(tree.run(cmd('Get', at(`${ACC}/AppAuth/CLCRED/AAuthData`))))).toBe(405);
    expect(tree.read(`${ACC}/AppAuth/CLCRED/AAuthSecret`)).toBeNull();
    expect(tree.read(`${ACC}/AppAuth/CLCRED`)).toBe('AAuthSecret/AAuthData');
    const listed = tree.list().filter((n) => n.uri.startsWith(`${ACC}/AppAuth/CLCRED/`));
    expect(listed.map((n) => n.value)).toEqual([null, null]);
    expect(tree.peek(`${ACC}/AppAuth/CLCRED/AAuthSecret`)).toBe('x');
    expect(JSON.stringify(tree.list())).not.toContain('"x"');
  });

  it("a w7 account is named after its PROVIDER-ID as Windows does: Fleet's rekey URIs work", () => {
    expect(accountUid('Fleet')).toBe(
      '0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077',
    );
    const { tree } = device(null);
    applyProvisioning(tree, w7Doc('Fleet'));
    const uid = '0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077';
    // server/service/microsoft_mdm.go rekeyWindowsDevice
    const rekey = tree.run(
      cmd(
        'Replace',
        at(`./SyncML/DMAcc/${uid}/AppAuth/CLCRED/AAuthName`, 'device-7'),
        at(`./SyncML/DMAcc/${uid}/AppAuth/CLCRED/AAuthSecret`, 'new-secret'),
      ),
    );
    expect(rekey.statuses.map((s) => s.code)).toEqual([200, 200]);
    expect(readAccount(tree, 'Fleet')?.client).toMatchObject({
      name: 'device-7',
      secret: 'new-secret',
    });
  });
});

/** A minimal w7 document (APPSRV and CLIENT credentials, no certificates). */
function w7Doc(providerId: string): ProvisioningDoc {
  const parm = (name: string, value: string) => ({ name, value });
  const auth = (level: string, ...more: { name: string; value: string }[]): WapCharacteristic => ({
    type: 'APPAUTH',
    parms: [parm('AAUTHLEVEL', level), parm('AAUTHTYPE', 'DIGEST'), ...more],
    children: [],
  });
  return {
    version: '1.1',
    characteristics: [
      {
        type: 'APPLICATION',
        parms: [
          parm('APPID', 'w7'),
          parm('PROVIDER-ID', providerId),
          parm('ADDR', 'https://mdm.example/ManagementServer/MDM.svc'),
        ],
        children: [
          auth('CLIENT', parm('AAUTHSECRET', 'dummy')),
          auth('APPSRV', parm('AAUTHNAME', 'dev-1'), parm('AAUTHSECRET', 'secret-1')),
        ],
      },
    ],
  };
}

const ROOT_SYSTEM = './Vendor/MSFT/CertificateStore/Root/System';

describe('CertificateStore CSP: {CertHash} is created by the Add of its EncodedCertificate', () => {
  it('Add of EncodedCertificate creates the thumbprint node; the node itself cannot be added', () => {
    const { tree } = device();
    expect(code(tree.run(cmd('Add', at(`${ROOT_SYSTEM}/${THUMB}`))))).toBe(405);
    expect(code(tree.run(cmd('Add', at(`${ROOT_SYSTEM}/${THUMB}/EncodedCertificate`, CERT))))).toBe(
      200,
    );
    expect(tree.read(ROOT_SYSTEM)).toBe(THUMB);
    expect(tree.read(`${ROOT_SYSTEM}/${THUMB}/EncodedCertificate`)).toBe(CERT);
    expect(code(tree.run(cmd('Add', at(`${ROOT_SYSTEM}/${THUMB}/EncodedCertificate`, CERT))))).toBe(
      418,
    );
    // The CSP spells the store ROOT; both name the same nodes.
    expect(
      tree.read(`./Vendor/MSFT/CertificateStore/ROOT/System/${THUMB}/EncodedCertificate`),
    ).toBe(CERT);
    expect(code(tree.run(cmd('Delete', at(`${ROOT_SYSTEM}/${THUMB}`))))).toBe(200);
    expect(tree.read(ROOT_SYSTEM)).toBe('');
  });

  it('a name that is not a thumbprint is 405; a value that is not base64 is 415 and creates nothing', () => {
    const { tree } = device();
    const before = view(tree);
    expect(
      code(tree.run(cmd('Add', at(`${ROOT_SYSTEM}/not-a-hash/EncodedCertificate`, CERT)))),
    ).toBe(405);
    expect(
      code(tree.run(cmd('Add', at(`${ROOT_SYSTEM}/${THUMB}/EncodedCertificate`, 'a*b')))),
    ).toBe(415);
    expect(code(tree.run(cmd('Add', at(`${ROOT_SYSTEM}/${THUMB}/Other`, 'x'))))).toBe(405);
    expect(view(tree)).toEqual(before);
  });

  it('My/User, My/System and My/WSTEP/Renew with its defaults', () => {
    const { tree } = device();
    const my = './Vendor/MSFT/CertificateStore/My';
    expect(tree.read(my)).toBe('User/System/WSTEP');
    expect(tree.read(`${my}/WSTEP/Renew/ROBOSupport`)).toBe('true');
    expect(tree.read(`${my}/WSTEP/Renew/RenewPeriod`)).toBe('42');
    expect(tree.read(`${my}/WSTEP/Renew/RetryInterval`)).toBe('7');
    expect(code(tree.run(cmd('Replace', at(`${my}/WSTEP/Renew/RenewPeriod`, '0'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at(`${my}/WSTEP/Renew/RenewPeriod`, '60'))))).toBe(200);
    expect(
      code(
        tree.run(
          cmd(
            'Add',
            at(`./Vendor/MSFT/CertificateStore/MY/System/${THUMB}/EncodedCertificate`, CERT),
          ),
        ),
      ),
    ).toBe(200);
    expect(tree.read(`${my}/System`)).toBe(THUMB);
  });
});

describe('durable state of the dynamic nodes', () => {
  /** A tree with a provider, an account, a certificate and a moved PFN. */
  function busyTree() {
    const d = device('MDMSRV', 'App_8wekyb3d8bbwe');
    const { tree } = d;
    tree.run(cmd('Add', at(OTHER)));
    tree.run(cmd('Add', at(`${OTHER}/EntDMID`, 'ent-7')));
    tree.run(cmd('Add', at(`${OTHER}/Push/PFN`, 'Other_8wekyb3d8bbwe')));
    tree.run(cmd('Delete', at(`${MDMSRV}/Push`)));
    applyProvisioning(tree, w7Doc('OTHER'));
    tree.run(cmd('Add', at(`${ROOT_SYSTEM}/${THUMB}/EncodedCertificate`, CERT)));
    return d;
  }

  it('saveState lists each dynamic child and what differs; a new tree takes it back', () => {
    const { tree, state } = busyTree();
    const saved = JSON.parse(JSON.stringify(tree.saveState())) as DmTreeState;
    expect(saved.map((s) => s.uri)).toEqual(
      expect.arrayContaining([
        OTHER,
        `${OTHER}/EntDMID`,
        PUSH_PROVIDER,
        `${ROOT_SYSTEM}/${THUMB}`,
        `${ROOT_SYSTEM}/${THUMB}/EncodedCertificate`,
        `./SyncML/DMAcc/${accountUid('OTHER')}`,
        `./SyncML/DMAcc/${accountUid('OTHER')}/AppAuth/CLCRED/AAuthSecret`,
      ]),
    );
    const fresh = device('MDMSRV');
    fresh.state.pfn = state.pfn;
    fresh.tree.loadState(saved);
    expect(view(fresh.tree)).toEqual(view(tree));
    expect(readAccount(fresh.tree, 'OTHER')).toEqual(
      expect.objectContaining({ serverUrl: 'https://mdm.example/ManagementServer/MDM.svc' }),
    );
    expect(fresh.tree.read(`${OTHER}/Push/PFN`)).toBe('Other_8wekyb3d8bbwe');
  });

  it('loads an old state with no dynamic part, as before', () => {
    const { tree } = device('MDMSRV');
    tree.loadState([
      { uri: `${MDMSRV}/EntDMID`, present: true, value: 'ent-1' },
      { uri: `${MDMSRV}/Poll/PollOnLogin`, present: true, value: 'true' },
    ]);
    expect(tree.read(`${MDMSRV}/EntDMID`)).toBe('ent-1');
    expect(tree.read(PROVIDERS)).toBe('MDMSRV');
  });

  it.each([
    [
      [{ uri: `${OTHER}/EntDMID`, present: true, value: 'x' }],
      /'.*OTHER\/EntDMID' is not a stored node/,
    ],
    [
      [
        { uri: OTHER, present: true, value: '' },
        { uri: `${OTHER}/Nope`, present: true, value: 'x' },
      ],
      /'.*OTHER\/Nope' is not a stored node/,
    ],
    [
      [{ uri: `${ROOT_SYSTEM}/nothash`, present: true, value: '' }],
      /nothash' is not a stored node/,
    ],
    [
      [{ uri: `${MDMSRV}/Poll/PollOnLogin`, present: true, value: 'yes' }],
      /PollOnLogin': "yes" is not a valid value of this bool node/,
    ],
    [
      [
        { uri: ACC, present: true, value: '' },
        { uri: `${ACC}/Ext/Microsoft/DefaultEncoding`, present: true, value: 'text/plain' },
      ],
      /DefaultEncoding': "text\/plain" is not a valid value/,
    ],
  ])('refuses state it cannot take (%#)', (state, message) => {
    const { tree } = device('MDMSRV');
    expect(() => tree.loadState(state)).toThrow(ValidationError);
    expect(() => device('MDMSRV').tree.loadState(state)).toThrow(message);
  });
});

describe('device wiring', () => {
  const s = loadScenario(
    readFileSync(fixture('fixtures/scenarios/basic.yaml'), 'utf8'),
    {},
    'fixtures/scenarios/basic.yaml',
  );

  it("the device's account is read from its tree, and survives a snapshot", () => {
    const sim = new Simulation(s, new MemorySink());
    sim.run(s.start + 3_600_000);
    const laptop = sim.device('laptop');
    if (!laptop) throw new Error('no laptop');
    expect(laptop.account).toBeNull();
    applyProvisioning(laptop.tree, w7Doc('DMPUSH'));
    expect(laptop.account).toMatchObject({
      serverId: 'DMPUSH',
      serverUrl: 'https://mdm.example/ManagementServer/MDM.svc',
      client: { name: 'dev-1', secret: 'secret-1', scheme: 'md5', nonce: '' },
    });
    laptop.account?.saveNonce('bm9uY2UtMQ==');
    const data = JSON.parse(JSON.stringify(sim.snapshot())) as unknown;
    const restored = Simulation.restore(s, data, new MemorySink());
    expect(restored.device('laptop')?.account?.client?.nonce).toBe('bm9uY2UtMQ==');
    expect(restored.snapshot()).toEqual(sim.snapshot());
    // A server-side Delete of the provider reaches the device's hook (a no-op for now).
    const outcome = restored.device('laptop')?.tree.run(cmd('Delete', at(`${PROVIDERS}/DMPUSH`)));
    expect(outcome?.statuses[0]?.code).toBe(200);
  });
});
