/**
 * Property tests of applying provisioning documents: random valid documents (built from the
 * `WapCharacteristic` type: certificates, a w7 APPLICATION with its address either as ADDR or as
 * an APPADDR, both APPAUTH credentials, DMClient provider parms and Poll) apply and read back from
 * the tree, survive its saved state, and apply again to the same tree; a document made invalid by
 * one mutation (no address, a bad integer, an unknown AAUTHTYPE…) is refused with an error naming
 * the element, the tree unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAccount } from '../../src/core/dm/account-reader.js';
import type { CertificateStoreName } from '../../src/core/dm/certstore-nodes.js';
import { accountUid } from '../../src/core/dm/dmacc-nodes.js';
import type { DmTreeState } from '../../src/core/dm/dm-tree.js';
import { ProvisioningApplyError, applyProvisioning } from '../../src/core/dm/provisioning-apply.js';
import {
  defaultIdentity,
  windowsTree,
  type WindowsTreeBindings,
} from '../../src/core/dm/windows-tree.js';
import type { ProvisioningDoc, WapCharacteristic, WapParm } from '../../src/core/enroll/wap-doc.js';
import { DEFAULT_POLL, type PollConfig } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';

function device() {
  const state: { poll: PollConfig } = { poll: DEFAULT_POLL };
  const bindings: WindowsTreeBindings = {
    now: () => 0,
    readPush: () => ({ pfn: null, channelUri: null, status: PushStatus.NoChannelUri }),
    setPfn: () => undefined,
    pollConfig: () => state.poll,
    setPoll: (patch) => {
      state.poll = {
        ...state.poll,
        first: { ...state.poll.first, ...patch.first },
        second: { ...state.poll.second, ...patch.second },
        remaining: { ...state.poll.remaining, ...patch.remaining },
      };
    },
  };
  const make = () => windowsTree(defaultIdentity('dev-1', '22H2'), null, bindings);
  return { state, tree: make(), make };
}

const p = (name: string, value?: string, datatype?: string): WapParm => ({
  name,
  ...(value === undefined ? {} : { value }),
  ...(datatype === undefined ? {} : { datatype }),
});
const c = (
  type: string,
  parms: WapParm[] = [],
  children: WapCharacteristic[] = [],
): WapCharacteristic => ({ type, parms, children });

/** What a generated document says, to read back. */
interface Spec {
  readonly providerId: string;
  readonly addr: string;
  /** ADDR as a parm of the APPLICATION, or in an APPADDR (with ADDRTYPE and PORT). */
  readonly addrForm:
    | { readonly kind: 'parm' }
    | { readonly kind: 'appaddr'; readonly type: string | null; readonly port: number | null };
  readonly name: string | null;
  readonly ext: Readonly<Record<string, string>>;
  readonly flags: readonly ('BACKCOMPATRETRYDISABLED' | 'USEHWDEVID')[];
  readonly appsrv: Auth;
  readonly client: Auth;
  readonly appsrvFirst: boolean;
  readonly certs: readonly {
    store: CertificateStoreName;
    thumb: string;
    cert: string;
  }[];
  readonly renew: Readonly<Record<string, string>> | null;
  readonly provider: Readonly<Record<string, string>> | null;
  readonly poll: Readonly<Record<string, string>>;
}
interface Auth {
  readonly type: string | null;
  readonly name: string | null;
  readonly secret: string;
  readonly data: string | null;
}

const text = fc.string({ maxLength: 12 });
const base64 = fc.base64String({ minLength: 4, maxLength: 48 }).filter((s) => s.length > 0);
const thumb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase(),
);
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
const auth = (types: string[]): fc.Arbitrary<Auth> =>
  fc.record({
    type: optional(fc.constantFrom(...types)),
    name: optional(text),
    secret: fc.string({ minLength: 1, maxLength: 16 }),
    data: optional(fc.oneof(base64, text)),
  });
const POLL_NUMBERS = [
  'IntervalForFirstSetOfRetries',
  'NumberOfFirstRetries',
  'IntervalForSecondSetOfRetries',
  'NumberOfSecondRetries',
  'IntervalForRemainingScheduledRetries',
  'NumberOfRemainingScheduledRetries',
];

const specArb: fc.Arbitrary<Spec> = fc.record({
  providerId: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ._-]{0,15}$/),
  addr: fc.stringMatching(
    /^https:\/\/[a-z0-9][a-z0-9.-]{0,20}(:[0-9]{1,5})?\/[A-Za-z0-9/._-]{0,24}$/,
  ),
  addrForm: fc.oneof(
    fc.constant({ kind: 'parm' as const }),
    fc.record({
      kind: fc.constant('appaddr' as const),
      type: optional(fc.constantFrom('URI', 'IPv4')),
      port: optional(fc.integer({ min: 0, max: 65535 })),
    }),
  ),
  name: optional(text),
  ext: fc.record(
    {
      CONNRETRYFREQ: fc.nat({ max: 100 }).map(String),
      INITIALBACKOFFTIME: fc.nat({ max: 10 ** 7 }).map(String),
      MAXBACKOFFTIME: fc.nat({ max: 10 ** 9 }).map(String),
      DEFAULTENCODING: fc.constantFrom(
        'application/vnd.syncml.dm+xml',
        'application/vnd.syncml.dm+wbxml',
      ),
      PROTOVER: fc.constantFrom('1.1', '1.2'),
      SSLCLIENTCERTSEARCHCRITERIA: text,
      ROLE: fc.constant('32'),
      'TO-NAPID': text,
    },
    { requiredKeys: [] },
  ),
  flags: fc.subarray(['BACKCOMPATRETRYDISABLED', 'USEHWDEVID'] as const),
  appsrv: auth(['BASIC', 'DIGEST']),
  client: auth(['DIGEST']),
  appsrvFirst: fc.boolean(),
  certs: fc.uniqueArray(
    fc.record({
      store: fc.constantFrom<CertificateStoreName>('Root/System', 'My/User', 'My/System'),
      thumb,
      cert: base64,
    }),
    { maxLength: 4, selector: (x) => `${x.store}/${x.thumb}` },
  ),
  renew: optional(
    fc.record(
      {
        ROBOSupport: fc.boolean().map(String),
        RenewPeriod: fc.integer({ min: 1, max: 1000 }).map(String),
        RetryInterval: fc.integer({ min: 1, max: 1000 }).map(String),
      },
      { requiredKeys: [] },
    ),
  ),
  provider: optional(
    fc.record(
      {
        EntDMID: text,
        EntDeviceName: text,
        ExchangeID: text,
        UPN: text,
        HelpWebsite: text,
        // Up to the devices' MaxSyncApplicationVersion, 2.0 (3.0 is refused: provisioning-apply.test).
        SyncApplicationVersion: fc.constantFrom('1.0', '2.0', '2', '1.5'),
        RequireMessageSigning: fc.boolean().map(String),
      },
      { requiredKeys: [] },
    ),
  ),
  poll: fc.record(
    {
      ...Object.fromEntries(POLL_NUMBERS.map((n) => [n, fc.nat({ max: 100000 }).map(String)])),
      PollOnLogin: fc.boolean().map(String),
      AllUsersPollOnFirstLogin: fc.boolean().map(String),
    },
    { requiredKeys: [] },
  ),
});

function authChar(level: string, a: Auth): WapCharacteristic {
  return c('APPAUTH', [
    p('AAUTHLEVEL', level),
    ...(a.type === null ? [] : [p('AAUTHTYPE', a.type)]),
    ...(a.name === null ? [] : [p('AAUTHNAME', a.name)]),
    p('AAUTHSECRET', a.secret),
    ...(a.data === null ? [] : [p('AAUTHDATA', a.data)]),
  ]);
}

function docOf(s: Spec): ProvisioningDoc {
  const stores = new Map<string, WapCharacteristic[]>();
  for (const x of s.certs) {
    const list = stores.get(x.store) ?? [];
    list.push(c(x.thumb, [p('EncodedCertificate', x.cert)]));
    stores.set(x.store, list);
  }
  const rootCerts = stores.get('Root/System');
  const my: WapCharacteristic[] = [];
  for (const sub of ['User', 'System']) {
    const certs = stores.get(`My/${sub}`);
    if (certs) my.push(c(sub, [], [...certs, c('PrivateKeyContainer')]));
  }
  if (s.renew)
    my.push(
      c(
        'WSTEP',
        [],
        [
          c(
            'Renew',
            Object.entries(s.renew).map(([k, v]) =>
              p(k, v, k === 'ROBOSupport' ? 'boolean' : 'integer'),
            ),
          ),
        ],
      ),
    );
  const certStore = c(
    'CertificateStore',
    [],
    [
      ...(rootCerts ? [c('Root', [], [c('System', [], rootCerts)])] : []),
      ...(my.length > 0 ? [c('My', [], my)] : []),
    ],
  );
  const auths = [authChar('APPSRV', s.appsrv), authChar('CLIENT', s.client)];
  const appParms: WapParm[] = [
    p('APPID', 'w7'),
    p('PROVIDER-ID', s.providerId),
    ...(s.name === null ? [] : [p('NAME', s.name)]),
    ...(s.addrForm.kind === 'parm' ? [p('ADDR', s.addr)] : []),
    ...Object.entries(s.ext).map(([k, v]) => p(k, v)),
    ...s.flags.map((f) => p(f)),
  ];
  const appAddr =
    s.addrForm.kind === 'appaddr'
      ? [
          c(
            'APPADDR',
            [
              p('ADDR', s.addr),
              ...(s.addrForm.type === null ? [] : [p('ADDRTYPE', s.addrForm.type)]),
            ],
            s.addrForm.port === null ? [] : [c('PORT', [p('PORTNBR', String(s.addrForm.port))])],
          ),
        ]
      : [];
  const application = c('APPLICATION', appParms, [
    ...appAddr,
    ...(s.appsrvFirst ? auths : [...auths].reverse()),
  ]);
  const dataType = (k: string): string =>
    POLL_NUMBERS.includes(k)
      ? 'integer'
      : k.includes('Poll') || k === 'RequireMessageSigning'
        ? 'boolean'
        : 'string';
  const providerChar = c(
    s.providerId,
    Object.entries(s.provider ?? {}).map(([k, v]) => p(k, v, dataType(k))),
    Object.keys(s.poll).length === 0
      ? []
      : [
          c(
            'Poll',
            Object.entries(s.poll).map(([k, v]) => p(k, v, dataType(k))),
          ),
        ],
  );
  return {
    version: '1.1',
    characteristics: [
      ...(certStore.children.length > 0 ? [certStore] : []),
      application,
      ...(s.provider || Object.keys(s.poll).length > 0
        ? [c('DMClient', [], [c('Provider', [], [providerChar])])]
        : []),
    ],
  };
}

const EXT: Readonly<Record<string, string>> = {
  CONNRETRYFREQ: 'ConnRetryFreq',
  INITIALBACKOFFTIME: 'InitialBackOffTime',
  MAXBACKOFFTIME: 'MaxBackOffTime',
  DEFAULTENCODING: 'DefaultEncoding',
  PROTOVER: 'ProtoVer',
  SSLCLIENTCERTSEARCHCRITERIA: 'SSLCLIENTCERTSEARCHCRITERIA',
  ROLE: 'Role',
};
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('applying random valid documents (property)', () => {
  it('applies, reads back, survives the saved state and applies again unchanged', () => {
    fc.assert(
      fc.property(specArb, (s) => {
        const { tree, state, make } = device();
        const applied = applyProvisioning(tree, docOf(s));
        expect(applied.providerId).toBe(s.providerId);
        expect(applied.managementUrl).toBe(s.addr);
        expect(applied.accountUid).toBe(accountUid(s.providerId));
        expect(applied.certificates.length).toBe(s.certs.length);

        const acc = `./SyncML/DMAcc/${accountUid(s.providerId)}`;
        expect(tree.peek(`${acc}/ServerID`)).toBe(s.providerId);
        expect(tree.peek(`${acc}/Name`)).toBe(s.name);
        expect(tree.peek(`${acc}/AppAddr/1/Addr`)).toBe(s.addr);
        if (s.addrForm.kind === 'appaddr') {
          expect(tree.peek(`${acc}/AppAddr/1/AddrType`)).toBe(s.addrForm.type ?? 'URI');
          expect(tree.peek(`${acc}/AppAddr/1/Port/1/PortNbr`)).toBe(
            s.addrForm.port === null ? null : String(s.addrForm.port),
          );
        }
        for (const [parm, node] of Object.entries(EXT))
          if (s.ext[parm] !== undefined)
            expect(tree.peek(`${acc}/Ext/Microsoft/${node}`)).toBe(s.ext[parm]);
        expect(tree.peek(`${acc}/PrefConRef`)).toBe(s.ext['TO-NAPID'] ?? null);
        expect(tree.peek(`${acc}/Ext/Microsoft/BackCompatRetryDisabled`)).toBe(
          String(s.flags.includes('BACKCOMPATRETRYDISABLED')),
        );
        expect(tree.peek(`${acc}/Ext/Microsoft/UseHwDevID`)).toBe(
          String(s.flags.includes('USEHWDEVID')),
        );
        for (const [node, a] of [
          ['CLCRED', s.appsrv],
          ['SRVCRED', s.client],
        ] as const) {
          expect(tree.peek(`${acc}/AppAuth/${node}/AAuthSecret`)).toBe(a.secret);
          expect(tree.peek(`${acc}/AppAuth/${node}/AAuthName`)).toBe(a.name);
          expect(tree.peek(`${acc}/AppAuth/${node}/AAuthType`)).toBe(a.type);
          expect(tree.peek(`${acc}/AppAuth/${node}/AAuthData`)).toBe(a.data);
        }
        const account = readAccount(tree, s.providerId);
        expect(account?.serverUrl).toBe(s.addr);
        expect(account?.client).toEqual({
          scheme: s.appsrv.type === 'BASIC' ? 'basic' : 'md5',
          name: s.appsrv.name ?? '',
          secret: s.appsrv.secret,
          nonce:
            s.appsrv.data !== null && s.appsrv.data !== '' && BASE64.test(s.appsrv.data)
              ? s.appsrv.data
              : '',
        });

        for (const x of s.certs)
          expect(
            tree.peek(`./Vendor/MSFT/CertificateStore/${x.store}/${x.thumb}/EncodedCertificate`),
          ).toBe(x.cert);
        for (const [k, v] of Object.entries(s.renew ?? {}))
          expect(tree.peek(`./Vendor/MSFT/CertificateStore/My/WSTEP/Renew/${k}`)).toBe(v);
        const provider = `./Vendor/MSFT/DMClient/Provider/${s.providerId}`;
        expect(tree.peek(`${provider}/ManagementServiceAddress`)).toBe(s.addr);
        for (const [k, v] of Object.entries(s.provider ?? {}))
          expect(tree.peek(`${provider}/${k}`)).toBe(v);
        for (const [k, v] of Object.entries(s.poll))
          expect(tree.peek(`${provider}/Poll/${k}`)).toBe(v);
        expect(state.poll.first.count).toBe(
          Number(s.poll.NumberOfFirstRetries ?? DEFAULT_POLL.first.count),
        );

        const view = { list: tree.list(), saved: tree.saveState() };
        const restored = make();
        restored.loadState(JSON.parse(JSON.stringify(view.saved)) as DmTreeState);
        expect({ list: restored.list(), saved: restored.saveState() }).toEqual(view);
        applyProvisioning(tree, docOf(s));
        expect({ list: tree.list(), saved: tree.saveState() }).toEqual(view);
      }),
      { numRuns: 100 },
    );
  });
});

/** One way to break a valid document, and the element the error must name. */
interface Mutation {
  readonly what: string;
  applies(s: Spec): boolean;
  mutate(doc: ProvisioningDoc, s: Spec): ProvisioningDoc;
  path(s: Spec): string;
}
const APP = 'characteristic[type=APPLICATION]';
const mapApp = (
  doc: ProvisioningDoc,
  f: (x: WapCharacteristic) => WapCharacteristic,
): ProvisioningDoc => ({
  ...doc,
  characteristics: doc.characteristics.map((x) => (x.type === 'APPLICATION' ? f(x) : x)),
});
const appsrvPath = (s: Spec): string =>
  `${APP}/characteristic[type=APPAUTH][${s.appsrvFirst ? 1 : 2}]`;

const mutations = (junk: string): Mutation[] => [
  {
    what: 'no address at all',
    applies: () => true,
    mutate: (doc) =>
      mapApp(doc, (x) => ({
        ...x,
        parms: x.parms.filter((q) => q.name !== 'ADDR'),
        children: x.children.filter((k) => k.type !== 'APPADDR'),
      })),
    path: () => `${APP}/parm[name=ADDR]`,
  },
  {
    what: 'no PROVIDER-ID',
    applies: () => true,
    mutate: (doc) =>
      mapApp(doc, (x) => ({ ...x, parms: x.parms.filter((q) => q.name !== 'PROVIDER-ID') })),
    path: () => `${APP}/parm[name=PROVIDER-ID]`,
  },
  {
    what: 'a CONNRETRYFREQ that is not a whole number',
    applies: () => !/^\d+$/.test(junk),
    mutate: (doc) =>
      mapApp(doc, (x) => ({
        ...x,
        parms: [...x.parms.filter((q) => q.name !== 'CONNRETRYFREQ'), p('CONNRETRYFREQ', junk)],
      })),
    path: () => `${APP}/parm[name=CONNRETRYFREQ]`,
  },
  {
    what: 'an unknown AAUTHTYPE',
    applies: () => junk !== 'BASIC' && junk !== 'DIGEST',
    mutate: (doc) =>
      mapApp(doc, (x) => ({
        ...x,
        children: x.children.map((a) =>
          a.parms.some((q) => q.value === 'APPSRV')
            ? {
                ...a,
                parms: [...a.parms.filter((q) => q.name !== 'AAUTHTYPE'), p('AAUTHTYPE', junk)],
              }
            : a,
        ),
      })),
    path: (s) => `${appsrvPath(s)}/parm[name=AAUTHTYPE]`,
  },
  {
    what: 'an unknown APPLICATION parm',
    applies: () => true,
    mutate: (doc) => mapApp(doc, (x) => ({ ...x, parms: [...x.parms, p('X-UNKNOWN', junk)] })),
    path: () => `${APP}/parm[name=X-UNKNOWN]`,
  },
  {
    what: 'a certificate that is not base64',
    applies: (s) => s.certs.length > 0 && !BASE64.test(junk.replace(/\s+/g, '') + '!'),
    mutate: (doc, s) => {
      const first = s.certs[0] as Spec['certs'][number];
      const walk = (x: WapCharacteristic): WapCharacteristic =>
        x.type === first.thumb
          ? { ...x, parms: [p('EncodedCertificate', `${junk}!`)] }
          : { ...x, children: x.children.map(walk) };
      return { ...doc, characteristics: doc.characteristics.map(walk) };
    },
    path: (s) => {
      const first = s.certs[0] as Spec['certs'][number];
      const [store, sub] = first.store.split('/') as [string, string];
      return `characteristic[type=CertificateStore]/characteristic[type=${store}]/characteristic[type=${sub}]/characteristic[type=${first.thumb}]/parm[name=EncodedCertificate]`;
    },
  },
];

describe('refusing broken documents (property)', () => {
  it('names the element and leaves the tree as it was', () => {
    fc.assert(
      fc.property(specArb, fc.string({ maxLength: 8 }), fc.nat(), (s, junk, pick) => {
        const candidates = mutations(junk).filter((m) => m.applies(s));
        const m = candidates[pick % candidates.length] as Mutation;
        const { tree } = device();
        const before = { list: tree.list(), saved: tree.saveState() };
        let error: unknown;
        try {
          applyProvisioning(tree, m.mutate(docOf(s), s));
        } catch (e) {
          error = e;
        }
        expect(error, m.what).toBeInstanceOf(ProvisioningApplyError);
        expect((error as ProvisioningApplyError).path, m.what).toBe(m.path(s));
        expect({ list: tree.list(), saved: tree.saveState() }).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});
