import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DmTree,
  normalizeUri,
  type CommandOutcome,
  type NodeSpec,
} from '../../src/core/dm/dm-tree.js';
import {
  defaultIdentity,
  windowsTree,
  type PollPatch,
  type WindowsTreeBindings,
} from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type {
  Command,
  ContainerCommand,
  Item,
  NodeCommand,
  NodeCommandKind,
} from '../../src/core/syncml/message.js';

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
function sequence(...commands: Command[]): ContainerCommand {
  return { kind: 'Sequence', cmdId: String(nextId++), commands };
}
/** The codes of a single-item command. */
function code(outcome: CommandOutcome): number {
  expect(outcome.statuses).toHaveLength(1);
  return (outcome.statuses[0] as { code: number }).code;
}
/** Every code of an outcome, depth first, container before its commands. */
function codes(outcome: CommandOutcome): number[] {
  return [...outcome.statuses.map((s) => s.code), ...outcome.children.flatMap(codes)];
}

/** A small generic tree with stored and bound nodes, and a log of the hooks that ran. */
function sampleTree(log: string[] = []) {
  let bound: string | null = 'b0';
  let deepBound: string | null = null;
  const boundSpec = (name: string, get: () => string | null, set: (v: string | null) => void) =>
    ({
      format: 'chr',
      access: ['Add', 'Delete', 'Get', 'Replace'],
      read: get,
      write: (v: string) => {
        log.push(`${name}=${v}`);
        set(v);
      },
      remove: () => {
        log.push(`${name} deleted`);
        set(null);
      },
    }) satisfies NodeSpec;
  const tree = new DmTree()
    .define('./A', { format: 'node', access: ['Get'] })
    .define('./A/S1', { format: 'chr', access: ['Add', 'Delete', 'Get', 'Replace'], value: 's1' })
    .define('./A/S2', { format: 'chr', access: ['Add', 'Delete', 'Get', 'Replace'] })
    .define('./A/I', { format: 'int', access: ['Add', 'Delete', 'Get', 'Replace'], value: '1' })
    .define('./A/F', { format: 'bool', access: ['Get', 'Replace'], value: 'false' })
    .define('./A/RO', { format: 'chr', access: ['Get'], value: 'ro' })
    .define(
      './A/B',
      boundSpec(
        'B',
        () => bound,
        (v) => {
          bound = v;
        },
      ),
    )
    .define('./A/Sub', { format: 'node', access: ['Add', 'Delete', 'Get'] })
    .define('./A/Sub/X', { format: 'chr', access: ['Add', 'Delete', 'Get', 'Replace'], value: 'x' })
    .define(
      './A/Sub/Y',
      boundSpec(
        'Y',
        () => deepBound,
        (v) => {
          deepBound = v;
        },
      ),
    );
  return { tree, log };
}
const SAMPLE_URIS = [
  './A',
  './A/S1',
  './A/S2',
  './A/I',
  './A/F',
  './A/RO',
  './A/B',
  './A/Sub',
  './A/Sub/X',
  './A/Sub/Y',
];
function snapshot(tree: DmTree): (string | null)[] {
  return SAMPLE_URIS.map((uri) => tree.read(uri));
}

describe('normalizeUri', () => {
  it.each([
    ['./A/B', './A/B'],
    ['./A/B/', './A/B'],
    ['A/B', './A/B'],
    ['.', '.'],
    ['./', '.'],
    ['./Device/Vendor/MSFT', './Vendor/MSFT'],
    ['./Device', './Device'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeUri(input)).toBe(expected);
  });
  it.each(['/A', '/', '', './A//B', './A/../B', './A/./B', '..', './A//'])(
    'refuses %j',
    (input) => {
      expect(normalizeUri(input)).toBeNull();
    },
  );
});

describe('DmTree.define', () => {
  it('refuses a duplicate, a missing parent, a leaf parent and a bad initial value', () => {
    const tree = new DmTree().define('./A', { format: 'node', access: ['Get'] });
    expect(() => tree.define('./A', { format: 'node', access: ['Get'] })).toThrow(/already/);
    expect(() => tree.define('./X/Y', { format: 'chr', access: ['Get'] })).toThrow(/parent/);
    tree.define('./A/L', { format: 'chr', access: ['Get'], value: '' });
    expect(() => tree.define('./A/L/M', { format: 'chr', access: ['Get'] })).toThrow(/parent/);
    expect(() => tree.define('./A/N', { format: 'int', access: ['Get'], value: 'x' })).toThrow(
      /not a valid int/,
    );
    expect(() => tree.define('/A', { format: 'chr', access: ['Get'] })).toThrow(/not a valid/);
  });
});

describe('DmTree commands', () => {
  it('Get of a leaf: 200 with a result item echoing the LocURI', () => {
    const { tree } = sampleTree();
    const outcome = tree.run(cmd('Get', at('./A/S1')));
    expect(outcome.statuses).toEqual([
      {
        code: 200,
        target: './A/S1',
        result: { source: './A/S1', meta: { format: 'chr' }, data: 's1' },
      },
    ]);
  });

  it('Get of an interior node lists its present children, format node', () => {
    const { tree } = sampleTree();
    const [status] = tree.run(cmd('Get', at('./A'))).statuses;
    expect(status?.result).toEqual({
      source: './A',
      meta: { format: 'node' },
      data: 'S1/I/F/RO/B/Sub',
    });
    expect(tree.read('.')).toBe('A');
  });

  it('404 for unknown or absent nodes', () => {
    const { tree } = sampleTree();
    expect(code(tree.run(cmd('Get', at('./A/Nope'))))).toBe(404);
    expect(code(tree.run(cmd('Get', at('./A/S2'))))).toBe(404);
    expect(code(tree.run(cmd('Replace', at('./A/S2', 'v'))))).toBe(404);
    expect(code(tree.run(cmd('Delete', at('./A/S2'))))).toBe(404);
    expect(code(tree.run(cmd('Get', at('./A/Sub/Y'))))).toBe(404);
  });

  it('405 for an operation outside the access rights', () => {
    const { tree } = sampleTree();
    expect(code(tree.run(cmd('Replace', at('./A/RO', 'v'))))).toBe(405);
    expect(code(tree.run(cmd('Delete', at('./A/RO'))))).toBe(405);
    expect(code(tree.run(cmd('Add', at('./A/RO', 'v'))))).toBe(405);
    expect(code(tree.run(cmd('Exec', at('./A/RO'))))).toBe(405);
    expect(code(tree.run(cmd('Replace', at('./A', 'v'))))).toBe(405);
    expect(tree.read('./A/RO')).toBe('ro');
  });

  it('Add: 200 for a declared absent node, 418 when it exists, 404/405 for undeclared nodes', () => {
    const { tree } = sampleTree();
    expect(code(tree.run(cmd('Add', at('./A/S2', 'new'))))).toBe(200);
    expect(tree.read('./A/S2')).toBe('new');
    expect(code(tree.run(cmd('Add', at('./A/S2', 'again'))))).toBe(418);
    expect(code(tree.run(cmd('Add', at('./A/S1', 'v'))))).toBe(418);
    expect(code(tree.run(cmd('Add', at('./Missing/Child', 'v'))))).toBe(404);
    expect(code(tree.run(cmd('Add', at('./A/Undeclared', 'v'))))).toBe(405);
    expect(code(tree.run(cmd('Add', at('./A/S1/Child', 'v'))))).toBe(405);
  });

  it('415 for a value the format or the node refuses', () => {
    const { tree } = sampleTree();
    expect(code(tree.run(cmd('Replace', at('./A/I', 'abc'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at('./A/I', '1.5'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at('./A/I'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at('./A/F', 'yes'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at('./A/F', 'True'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at('./A/I', '-7'))))).toBe(200);
    expect(code(tree.run(cmd('Replace', at('./A/F', 'true'))))).toBe(200);
    expect(tree.read('./A/I')).toBe('-7');
    const picky = new DmTree()
      .define('./P', {
        format: 'int',
        access: ['Replace', 'Get'],
        value: '0',
        accepts: (v) => v !== '13',
      })
      .define('./D', { format: 'b64', access: ['Replace', 'Get'], value: '' });
    expect(code(picky.run(cmd('Replace', at('./P', '13'))))).toBe(415);
    expect(code(picky.run(cmd('Replace', at('./D', 'aGk='))))).toBe(200);
    expect(code(picky.run(cmd('Replace', at('./D', 'a*k='))))).toBe(415);
    expect(code(picky.run(cmd('Replace', at('./D', 'abc'))))).toBe(415);
  });

  it('Delete removes the subtree and runs the remove hooks of present nodes', () => {
    const { tree, log } = sampleTree();
    tree.run(cmd('Add', at('./A/Sub/Y', 'y')));
    expect(code(tree.run(cmd('Delete', at('./A/Sub'))))).toBe(200);
    expect(log).toEqual(['Y=y', 'Y deleted']);
    expect(tree.read('./A/Sub')).toBeNull();
    expect(code(tree.run(cmd('Get', at('./A/Sub/X'))))).toBe(404);
    expect(code(tree.run(cmd('Add', at('./A/Sub/X', 'x'))))).toBe(404);
    expect(code(tree.run(cmd('Add', at('./A/Sub'))))).toBe(200);
    expect(tree.read('./A/Sub')).toBe('');
    expect(code(tree.run(cmd('Add', at('./A/Sub/X', 'x2'))))).toBe(200);
    expect(tree.read('./A/Sub')).toBe('X');
    expect(code(tree.run(cmd('Delete', at('./A/Sub'))))).toBe(200);
    expect(code(tree.run(cmd('Delete', at('./A/Sub'))))).toBe(404);
  });

  it('Exec: 200 with a handler (run with the Data), 406 without, 404 when absent', () => {
    const calls: (string | undefined)[] = [];
    const tree = new DmTree()
      .define('./Go', {
        format: 'null',
        access: ['Exec', 'Get'],
        value: '',
        exec: (d) => calls.push(d),
      })
      .define('./Other', { format: 'null', access: ['Exec'], value: '' })
      .define('./Gone', { format: 'null', access: ['Exec'] });
    expect(code(tree.run(cmd('Exec', at('./Go', 'now'))))).toBe(200);
    expect(calls).toEqual(['now']);
    expect(code(tree.run(cmd('Exec', at('./Other'))))).toBe(406);
    expect(code(tree.run(cmd('Exec', at('./Gone'))))).toBe(404);
    expect(tree.run(cmd('Get', at('./Go'))).statuses[0]?.result).toEqual({
      source: './Go',
      meta: { format: 'null' },
    });
  });

  it('500 when a handler throws; a failed write hook stores nothing', () => {
    const tree = new DmTree()
      .define('./R', {
        format: 'chr',
        access: ['Get'],
        read: () => {
          throw new Error('boom');
        },
      })
      .define('./W', {
        format: 'chr',
        access: ['Get', 'Replace'],
        value: 'old',
        write: () => {
          throw new Error('boom');
        },
      });
    expect(code(tree.run(cmd('Get', at('./R'))))).toBe(500);
    expect(code(tree.run(cmd('Replace', at('./W', 'new'))))).toBe(500);
    expect(tree.read('./W')).toBe('old');
  });

  it('400 for a malformed LocURI, a missing Target, a command with no Item or a bad CmdID', () => {
    const { tree } = sampleTree();
    expect(code(tree.run(cmd('Get', at('/A/S1'))))).toBe(400);
    expect(code(tree.run(cmd('Get', at('./A//S1'))))).toBe(400);
    expect(code(tree.run(cmd('Get', at('./A/../A'))))).toBe(400);
    expect(code(tree.run(cmd('Get', { source: './A/S1' })))).toBe(400);
    expect(tree.run(cmd('Get')).statuses).toEqual([{ code: 400 }]);
    expect(tree.run({ kind: 'Get', cmdId: '0', items: [at('./A/S1')] }).statuses).toEqual([
      { code: 400, target: './A/S1' },
    ]);
    expect(
      codes(tree.run({ kind: 'Sequence', cmdId: '', commands: [cmd('Get', at('./A'))] })),
    ).toEqual([400, 215]);
  });

  it('one status per Item, each with its TargetRef', () => {
    const { tree } = sampleTree();
    const outcome = tree.run(
      cmd('Replace', at('./A/S1', 'a'), at('./A/RO', 'b'), at('./A/Nope', 'c')),
    );
    expect(outcome.statuses.map((s) => [s.code, s.target])).toEqual([
      [200, './A/S1'],
      [405, './A/RO'],
      [404, './A/Nope'],
    ]);
  });

  it('the ./Device/Vendor alias and trailing slashes name the same node; results echo the LocURI', () => {
    const tree = new DmTree()
      .define('./Vendor', { format: 'node', access: ['Get'] })
      .define('./Vendor/V', { format: 'chr', access: ['Get', 'Replace'], value: 'v' });
    expect(code(tree.run(cmd('Replace', at('./Device/Vendor/V', 'w'))))).toBe(200);
    expect(tree.read('./Vendor/V')).toBe('w');
    expect(tree.run(cmd('Get', at('./Device/Vendor/V/'))).statuses[0]?.result).toEqual({
      source: './Device/Vendor/V/',
      meta: { format: 'chr' },
      data: 'w',
    });
    expect(tree.read('Vendor/V')).toBe('w');
  });
});

describe('DmTree Atomic and Sequence', () => {
  it('commits an Atomic: staged changes are visible inside it, hooks run at the commit', () => {
    const { tree, log } = sampleTree();
    const outcome = tree.run(
      atomic(
        cmd('Replace', at('./A/B', 'b1')),
        cmd('Replace', at('./A/B', 'b2')),
        cmd('Delete', at('./A/S1')),
        cmd('Add', at('./A/S1', 'again')),
        sequence(cmd('Add', at('./A/S2', 's2'))),
      ),
    );
    expect(codes(outcome)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(log).toEqual(['B=b1', 'B=b2']);
    expect(snapshot(tree).slice(1, 7)).toEqual(['again', 's2', '1', 'false', 'ro', 'b2']);
  });

  it('rolls back a failed Atomic: 507, 216 for successes, the failing code kept, 215 after', () => {
    const { tree, log } = sampleTree();
    const before = snapshot(tree);
    const outcome = tree.run(
      atomic(
        cmd('Replace', at('./A/B', 'b1'), at('./A/S1', 'changed')),
        sequence(cmd('Delete', at('./A/Sub'))),
        cmd('Replace', at('./A/RO', 'nope'), at('./A/S1', 'later')),
        cmd('Add', at('./A/S2', 'never')),
      ),
    );
    expect(codes(outcome)).toEqual([507, 216, 216, 216, 216, 405, 215, 215]);
    expect(outcome.children[2]?.statuses.map((s) => s.target)).toEqual(['./A/RO', './A/S1']);
    expect(snapshot(tree)).toEqual(before);
    expect(log).toEqual([]);
  });

  it('a Get, a nested Atomic, an Alert or a Status inside an Atomic fails it', () => {
    const { tree } = sampleTree();
    expect(
      codes(tree.run(atomic(cmd('Replace', at('./A/S1', 'v')), cmd('Get', at('./A/S1'))))),
    ).toEqual([507, 216, 500]);
    expect(codes(tree.run(atomic(atomic(cmd('Replace', at('./A/S1', 'v'))))))).toEqual([
      507, 500, 215,
    ]);
    expect(
      codes(tree.run(atomic({ kind: 'Alert', cmdId: String(nextId++), data: '1100', items: [] }))),
    ).toEqual([507, 406]);
    expect(
      codes(
        tree.run(
          atomic({
            kind: 'Status',
            cmdId: String(nextId++),
            msgRef: '1',
            cmdRef: '1',
            cmd: 'Get',
            data: '200',
          }),
        ),
      ),
    ).toEqual([507, 400]);
    expect(tree.read('./A/S1')).toBe('s1');
  });

  it('516 when a hook throws at the commit: its Item 500, the rest stays applied', () => {
    const tree = new DmTree()
      .define('./Ok', { format: 'chr', access: ['Replace', 'Get'], value: 'a' })
      .define('./Bad', {
        format: 'chr',
        access: ['Replace', 'Get'],
        value: 'a',
        write: () => {
          throw new Error('device refused');
        },
      });
    const outcome = tree.run(
      atomic(cmd('Replace', at('./Ok', 'b')), cmd('Replace', at('./Bad', 'b'))),
    );
    expect(codes(outcome)).toEqual([516, 200, 500]);
    expect(tree.read('./Ok')).toBe('b');
  });

  it('a Sequence runs in order, each command with its own status, and is 200 itself', () => {
    const { tree } = sampleTree();
    const outcome = tree.run(
      sequence(
        cmd('Add', at('./A/S2', 'one')),
        cmd('Replace', at('./A/RO', 'x')),
        cmd('Replace', at('./A/S2', 'two')),
        cmd('Get', at('./A/S2')),
      ),
    );
    expect(codes(outcome)).toEqual([200, 200, 405, 200, 200]);
    expect(outcome.children[3]?.statuses[0]?.result?.data).toBe('two');
    expect(codes(tree.run(sequence()))).toEqual([200]);
    expect(codes(tree.run(atomic()))).toEqual([200]);
  });

  it('property: an Atomic applies all of its commands or none, and hooks run only on commit', () => {
    const targets = [...SAMPLE_URIS, './A/Undeclared', './Nope/X'];
    const itemArb = fc.record({
      target: fc.constantFrom(...targets),
      data: fc.constantFrom('v', 'w', '12', '-3', 'true', ''),
    });
    const commandArb = fc.record({
      kind: fc.constantFrom<NodeCommandKind>('Add', 'Replace', 'Delete'),
      items: fc.array(itemArb, { minLength: 1, maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 8 }), (drafts) => {
        const commands: NodeCommand[] = drafts.map((d, i) => ({ ...d, cmdId: String(i + 2) }));
        const atomicSide = sampleTree();
        const plainSide = sampleTree();
        const before = snapshot(atomicSide.tree);
        const outcome = atomicSide.tree.run({ kind: 'Atomic', cmdId: '1', commands });
        const plain = commands.map((c) => plainSide.tree.run(c));
        const plainCodes = plain.flatMap(codes);
        // In an Atomic, a Replace of a node an earlier Add created is 406 ([OMA]).
        const items = commands.flatMap((c) => c.items.map((item) => ({ kind: c.kind, item })));
        const added = new Set<string>();
        const refused = items.findIndex(({ kind, item }, i) => {
          if (kind === 'Add' && plainCodes[i] === 200) added.add(item.target ?? '');
          return kind === 'Replace' && added.has(item.target ?? '');
        });
        let firstFailure = plainCodes.findIndex((c) => c >= 300);
        if (refused !== -1 && (firstFailure === -1 || refused < firstFailure)) {
          firstFailure = refused;
          plainCodes[refused] = 406;
        }
        const [atomicCode, ...innerCodes] = codes(outcome);
        if (firstFailure === -1) {
          expect(atomicCode).toBe(200);
          expect(innerCodes).toEqual(plainCodes);
          expect(snapshot(atomicSide.tree)).toEqual(snapshot(plainSide.tree));
          expect(atomicSide.log).toEqual(plainSide.log);
        } else {
          expect(atomicCode).toBe(507);
          expect(innerCodes).toEqual(
            plainCodes.map((c, i) => (i < firstFailure ? 216 : i === firstFailure ? c : 215)),
          );
          expect(snapshot(atomicSide.tree)).toEqual(before);
          expect(atomicSide.log).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** A fake device behind the Windows tree. */
function fakeDevice(pfn: string | null = null, update?: (change: () => void) => void) {
  const state = {
    pfn,
    channelUri: null as string | null,
    status: PushStatus.NoChannelUri as PushStatus,
    poll: DEFAULT_POLL,
    pfnCalls: [] as (string | null)[],
    pollPatches: [] as PollPatch[],
  };
  const bindings: WindowsTreeBindings = {
    now: () => Date.parse('2026-03-01T10:00:00Z'),
    readPush: () => ({ pfn: state.pfn, channelUri: state.channelUri, status: state.status }),
    setPfn: (value) => {
      state.pfnCalls.push(value);
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
    update,
  };
  const tree = windowsTree(defaultIdentity('dev-1', '1607'), 'MDMSRV', bindings);
  return { state, tree };
}
const PROVIDER = './Vendor/MSFT/DMClient/Provider/MDMSRV';
const PUSH = `${PROVIDER}/Push`;
const POLL = `${PROVIDER}/Poll`;

describe('windowsTree', () => {
  it('DevInfo and DevDetail from the identity', () => {
    const { tree } = fakeDevice();
    const identity = defaultIdentity('dev-1', '1607');
    expect(tree.read('./DevInfo')).toBe('DevId/Man/Mod/DmV/Lang');
    expect(tree.read('./DevInfo/DevId')).toBe(identity.devId);
    expect(tree.read('./DevInfo/Lang')).toBe('en-US');
    expect(tree.read('./DevDetail/SwV')).toBe(identity.swV);
    expect(tree.read('./DevDetail/Ext/Microsoft/LocalTime')).toBe('2026-03-01T10:00:00.000Z');
    expect(tree.read('./DevDetail/Ext/Microsoft/OSPlatform')).toBe('Windows 10 Enterprise');
    expect(tree.read('./DevDetail/Ext/Microsoft/TotalRAM')).toBe(String(identity.totalRamMB));
    expect(code(tree.run(cmd('Replace', at('./DevInfo/Man', 'x'))))).toBe(405);
    expect(code(tree.run(cmd('Replace', at('./DevDetail/Ext/Microsoft/DeviceName', 'PC-2'))))).toBe(
      200,
    );
    expect(tree.read('./DevDetail/Ext/Microsoft/DeviceName')).toBe('PC-2');
    // 1607: the provider's HWDevID, not yet DMClient/HWDevID (1709+).
    expect(tree.read('./Vendor/MSFT/DMClient/Provider/MDMSRV/HWDevID')).toMatch(/^[0-9A-F]{64}$/);
    expect(tree.read('./Vendor/MSFT/DMClient/HWDevID')).toBeNull();
  });

  it('Push/PFN exists only while set: Get 404 → Add → setPfn; Add again 418; Delete → setPfn(null)', () => {
    const { tree, state } = fakeDevice();
    expect(code(tree.run(cmd('Get', at(`${PUSH}/PFN`))))).toBe(404);
    expect(code(tree.run(cmd('Replace', at(`${PUSH}/PFN`, 'App_8wekyb3d8bbwe'))))).toBe(404);
    expect(
      code(
        tree.run(
          cmd(
            'Add',
            at(`./Device/Vendor/MSFT/DMClient/Provider/MDMSRV/Push/PFN`, 'App_8wekyb3d8bbwe'),
          ),
        ),
      ),
    ).toBe(200);
    expect(state.pfnCalls).toEqual(['App_8wekyb3d8bbwe']);
    expect(tree.read(`${PUSH}/PFN`)).toBe('App_8wekyb3d8bbwe');
    expect(code(tree.run(cmd('Add', at(`${PUSH}/PFN`, 'Other_8wekyb3d8bbwe'))))).toBe(418);
    expect(code(tree.run(cmd('Replace', at(`${PUSH}/PFN`, 'Other_8wekyb3d8bbwe'))))).toBe(200);
    expect(code(tree.run(cmd('Delete', at(`${PUSH}/PFN`))))).toBe(200);
    expect(state.pfnCalls).toEqual(['App_8wekyb3d8bbwe', 'Other_8wekyb3d8bbwe', null]);
    expect(code(tree.run(cmd('Delete', at(`${PUSH}/PFN`))))).toBe(404);
  });

  it('Push/ChannelURI and Push/Status are read-only views of the device', () => {
    const { tree, state } = fakeDevice('App_8wekyb3d8bbwe');
    expect(tree.run(cmd('Get', at(`${PUSH}/ChannelURI`))).statuses[0]?.result?.data).toBe('');
    expect(tree.read(`${PUSH}/Status`)).toBe('4');
    state.channelUri = 'https://wns.example/?token=abc';
    state.status = PushStatus.Success;
    expect(tree.read(`${PUSH}/ChannelURI`)).toBe('https://wns.example/?token=abc');
    const status = tree.run(cmd('Get', at(`${PUSH}/Status`))).statuses[0];
    expect(status?.result).toEqual({
      source: `${PUSH}/Status`,
      meta: { format: 'int' },
      data: '0',
    });
    expect(code(tree.run(cmd('Replace', at(`${PUSH}/ChannelURI`, 'https://evil'))))).toBe(405);
    expect(code(tree.run(cmd('Replace', at(`${PUSH}/Status`, '0'))))).toBe(405);
    expect(code(tree.run(cmd('Delete', at(`${PUSH}/ChannelURI`))))).toBe(405);
    expect(tree.read(PUSH)).toBe('PFN/ChannelURI/Status');
  });

  it('Delete Push clears the PFN and removes the node until the server Adds it again', () => {
    const { tree, state } = fakeDevice('App_8wekyb3d8bbwe');
    expect(code(tree.run(cmd('Add', at(PUSH))))).toBe(418);
    expect(code(tree.run(cmd('Delete', at(PUSH))))).toBe(200);
    expect(state.pfnCalls).toEqual([null]);
    expect(code(tree.run(cmd('Get', at(`${PUSH}/ChannelURI`))))).toBe(404);
    expect(code(tree.run(cmd('Add', at(`${PUSH}/PFN`, 'App_8wekyb3d8bbwe'))))).toBe(404);
    expect(code(tree.run(cmd('Add', at(PUSH))))).toBe(200);
    expect(tree.read(PUSH)).toBe('ChannelURI/Status');
    expect(code(tree.run(cmd('Add', at(`${PUSH}/PFN`, 'App_8wekyb3d8bbwe'))))).toBe(200);
  });

  it('a rolled-back Atomic does not call setPfn; a committed one does', () => {
    const { tree, state } = fakeDevice();
    const failed = tree.run(
      atomic(
        cmd('Add', at(`${PUSH}/PFN`, 'App_8wekyb3d8bbwe')),
        cmd('Replace', at(`${PUSH}/Status`, '0')),
      ),
    );
    expect(codes(failed)).toEqual([507, 216, 405]);
    expect(state.pfnCalls).toEqual([]);
    expect(state.pfn).toBeNull();
    const ok = tree.run(
      atomic(
        cmd('Add', at(`${PUSH}/PFN`, 'App_8wekyb3d8bbwe')),
        cmd('Replace', at(`${POLL}/IntervalForFirstSetOfRetries`, '3')),
      ),
    );
    expect(codes(ok)).toEqual([200, 200, 200]);
    expect(state.pfnCalls).toEqual(['App_8wekyb3d8bbwe']);
    expect(state.poll.first.intervalMinutes).toBe(3);
  });

  it('Poll: Replace → setPoll patch; bad values 415; Add 418; Delete restores the default', () => {
    const { tree, state } = fakeDevice();
    expect(tree.read(`${POLL}`)).toBe(
      'IntervalForFirstSetOfRetries/NumberOfFirstRetries/IntervalForSecondSetOfRetries/' +
        'NumberOfSecondRetries/IntervalForRemainingScheduledRetries/NumberOfRemainingScheduledRetries/' +
        'PollOnLogin/AllUsersPollOnFirstLogin',
    );
    const replaced = tree.run(
      cmd(
        'Replace',
        at(`${POLL}/IntervalForFirstSetOfRetries`, '3'),
        at(`${POLL}/NumberOfFirstRetries`, '5'),
        at(`${POLL}/IntervalForSecondSetOfRetries`, '15'),
        at(`${POLL}/NumberOfSecondRetries`, '8'),
        at(`${POLL}/IntervalForRemainingScheduledRetries`, '480'),
        at(`${POLL}/NumberOfRemainingScheduledRetries`, '0'),
      ),
    );
    expect(replaced.statuses.map((s) => s.code)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(state.pollPatches).toEqual([
      { first: { intervalMinutes: 3 } },
      { first: { count: 5 } },
      { second: { intervalMinutes: 15 } },
      { second: { count: 8 } },
      { remaining: { intervalMinutes: 480 } },
      { remaining: { count: 0 } },
    ]);
    expect(tree.read(`${POLL}/NumberOfSecondRetries`)).toBe('8');
    expect(code(tree.run(cmd('Replace', at(`${POLL}/NumberOfFirstRetries`, '-1'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at(`${POLL}/NumberOfFirstRetries`, 'ten'))))).toBe(415);
    expect(code(tree.run(cmd('Add', at(`${POLL}/NumberOfFirstRetries`, '4'))))).toBe(418);
    expect(code(tree.run(cmd('Delete', at(`${POLL}/IntervalForFirstSetOfRetries`))))).toBe(200);
    expect(state.pollPatches.at(-1)).toEqual({ first: { intervalMinutes: 15 } });
    expect(tree.read(`${POLL}/IntervalForFirstSetOfRetries`)).toBe('15');

    expect(tree.read(`${POLL}/PollOnLogin`)).toBe('false');
    expect(code(tree.run(cmd('Replace', at(`${POLL}/PollOnLogin`, 'yes'))))).toBe(415);
    expect(code(tree.run(cmd('Replace', at(`${POLL}/PollOnLogin`, 'true'))))).toBe(200);
    expect(tree.read(`${POLL}/PollOnLogin`)).toBe('true');
    expect(code(tree.run(cmd('Delete', at(`${POLL}/PollOnLogin`))))).toBe(200);
    expect(tree.read(`${POLL}/PollOnLogin`)).toBe('false');
    expect(state.pollPatches).toHaveLength(7);
  });

  it('the configured provider and the CSP access rights of its nodes (Provider/{ProviderID} is Add, Delete, Get)', () => {
    const { tree } = fakeDevice();
    expect(tree.read('./Vendor/MSFT/DMClient/Provider')).toBe('MDMSRV');
    expect(code(tree.run(cmd('Get', at('./Vendor/MSFT/DMClient/Provider/OTHER/Push/PFN'))))).toBe(
      404,
    );
    // The DMClient CSP's {ProviderID} is dynamic (test/unit/dm-tree-providers.test.ts).
    expect(code(tree.run(cmd('Add', at('./Vendor/MSFT/DMClient/Provider/OTHER'))))).toBe(200);
    expect(code(tree.run(cmd('Add', at(PROVIDER))))).toBe(418);
    expect(code(tree.run(cmd('Exec', at(`${PROVIDER}/Unenroll`))))).toBe(406);
    expect(tree.read(`${PROVIDER}/EnrollmentType`)).toBe('Full');
    expect(tree.read(`${PROVIDER}/SyncApplicationVersion`)).toBe('1.0');
    expect(code(tree.run(cmd('Replace', at(`${PROVIDER}/MaxSyncApplicationVersion`, '9.0'))))).toBe(
      405,
    );
    expect(code(tree.run(cmd('Get', at(`${PROVIDER}/EntDMID`))))).toBe(404);
    expect(code(tree.run(cmd('Add', at(`${PROVIDER}/EntDMID`, 'server-id-1'))))).toBe(200);
    expect(tree.read(`${PROVIDER}/EntDMID`)).toBe('server-id-1');
    expect(code(tree.run(cmd('Delete', at(`${PROVIDER}/UPN`))))).toBe(405);
    expect(code(tree.run(cmd('Replace', at(`${PROVIDER}/RequireMessageSigning`, 'maybe'))))).toBe(
      415,
    );
    expect(code(tree.run(cmd('Delete', at(PROVIDER))))).toBe(200);
    expect(tree.read('./Vendor/MSFT/DMClient/Provider')).toBe('OTHER');
  });

  it('refuses a provider id that is not one URI segment', () => {
    const bindings = {} as WindowsTreeBindings;
    expect(() => windowsTree(defaultIdentity('d', '1607'), 'A/B', bindings)).toThrow(/provider id/);
  });
});

describe('DM tree state (durable state)', () => {
  it('saves only stored nodes changed from their definition, and a new tree takes them back', () => {
    const changed: string[] = [];
    const { tree } = fakeDevice('Contoso.MDM_8wekyb3d8bbwe', (change) => {
      changed.push('x');
      change();
    });
    expect(tree.saveState()).toEqual([]);
    expect(code(tree.run(cmd('Replace', at(`${POLL}/PollOnLogin`, 'true'))))).toBe(200);
    expect(code(tree.run(cmd('Add', at(`${PROVIDER}/EntDMID`, 'ent-42'))))).toBe(200);
    expect(
      code(tree.run(cmd('Replace', at(`${PROVIDER}/ManagementServiceAddress`, 'https://m')))),
    ).toBe(200);
    expect(
      code(tree.run(cmd('Replace', at('./DevDetail/Ext/Microsoft/DeviceName', 'LAB-7')))),
    ).toBe(200);
    // A bound node (the device's own state) is not the tree's to save.
    expect(code(tree.run(cmd('Replace', at(`${POLL}/NumberOfFirstRetries`, '9'))))).toBe(200);
    expect(changed.length).toBeGreaterThanOrEqual(4);
    const state = JSON.parse(JSON.stringify(tree.saveState())) as ReturnType<DmTree['saveState']>;
    expect(state.map((n) => n.uri).sort()).toEqual(
      [
        `${POLL}/PollOnLogin`,
        `${PROVIDER}/EntDMID`,
        `${PROVIDER}/ManagementServiceAddress`,
        './DevDetail/Ext/Microsoft/DeviceName',
      ].sort(),
    );
    const fresh = fakeDevice('Contoso.MDM_8wekyb3d8bbwe').tree;
    fresh.loadState(state);
    const stored = (t: DmTree) => t.list().filter((n) => !n.uri.endsWith('/NumberOfFirstRetries'));
    expect(stored(fresh)).toEqual(stored(tree));
    // Delete restores the CSP default of an always-present stored leaf.
    expect(code(fresh.run(cmd('Delete', at(`${POLL}/PollOnLogin`))))).toBe(200);
    expect(fresh.read(`${POLL}/PollOnLogin`)).toBe('false');
    expect(fresh.saveState().map((n) => n.uri)).not.toContain(`${POLL}/PollOnLogin`);
  });

  it('refuses state naming a node that is not a stored node', () => {
    const { tree } = fakeDevice();
    expect(() => tree.loadState([{ uri: `${PUSH}/Status`, present: true, value: '1' }])).toThrow(
      /tree: '.*Push\/Status' is not a stored node of this tree/,
    );
  });
});

describe('defaultIdentity', () => {
  it('is deterministic and differs between devices', () => {
    expect(defaultIdentity('dev-1', '1607')).toEqual(defaultIdentity('dev-1', '1607'));
    expect(defaultIdentity('dev-1', '1607').devId).not.toBe(defaultIdentity('dev-2', '1607').devId);
    const id = defaultIdentity('dev-1', '1607');
    expect(id.devId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(id.deviceName).toMatch(/^DESKTOP-[0-9A-Z]{7}$/);
    expect([8192, 16384, 32768]).toContain(id.totalRamMB);
  });

  it.each([
    ['1511', 10586],
    ['1607', 14393],
    ['1709', 16299],
    ['22H2', 19045],
    ['win11-23H2', 22631],
    ['win11-24H2', 26100],
  ])('SwV of %s is 10.0.%i.<qfe>', (os, build) => {
    expect(defaultIdentity('dev-1', os).swV).toMatch(new RegExp(`^10\\.0\\.${build}\\.\\d+$`));
  });

  it('an unknown os is refused, naming the valid ones; Windows 11 builds report Windows 11', () => {
    expect(() => defaultIdentity('dev-1', 'nt4')).toThrow(/os: expected one of 1511, .*got "nt4"/);
    const bindings = {} as WindowsTreeBindings;
    const tree = windowsTree(defaultIdentity('d', 'win11-24H2'), 'P', bindings);
    expect(tree.read('./DevDetail/Ext/Microsoft/OSPlatform')).toBe('Windows 11 Enterprise');
  });
});
