/**
 * DM protocol 2.0 (DMClient CSP `SyncApplicationVersion`, `MaxSyncApplicationVersion`; "OMA DM
 * protocol support", SessionID): the rules of `sync-version.ts`, the nodes, and the session.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/core/dm/client-session.js';
import type { DmTree } from '../../src/core/dm/dm-tree.js';
import { buildOf } from '../../src/core/os/os-profiles.js';
import {
  maxSyncApplicationVersion,
  syncVersionRefusal,
  validSyncVersion,
  wireSessionId,
} from '../../src/core/dm/sync-version.js';
import { defaultIdentity } from '../../src/core/dm/windows-tree.js';
import { DmTree as Tree } from '../../src/core/dm/dm-tree.js';
import { fakeTree, SERVER, sent, serverMessage } from '../helpers/dm-session.js';

const PROVIDER = './Vendor/MSFT/DMClient/Provider/MDMSRV';
const SYNC = `${PROVIDER}/SyncApplicationVersion`;
const MAX = `${PROVIDER}/MaxSyncApplicationVersion`;

function run(tree: DmTree, kind: 'Add' | 'Replace' | 'Delete', data?: string): number {
  const item = data === undefined ? { target: SYNC } : { target: SYNC, data };
  return tree.run({ kind, cmdId: '2', items: [item] }).statuses[0]?.code ?? 0;
}

describe('the rules', () => {
  it('property: a value is valid exactly when it matches the CSP pattern ^(\\d\\.)?(\\d)$', () => {
    const digit = fc.constantFrom(...'0123456789');
    const versionLike = fc.oneof(
      digit,
      fc.tuple(digit, digit).map(([a, b]) => `${a}.${b}`),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    fc.assert(
      fc.property(versionLike, (value) => {
        const matches = /^(\d\.)?(\d)$/.test(value);
        expect(validSyncVersion(value)).toBe(matches);
        if (!matches) expect(syncVersionRefusal(value, '1.0', '9.9')).toBe(415);
      }),
      { numRuns: 500 },
    );
    for (const bad of ['abc', '2.0.0', '10', '1.10', '.5', '2.', ' 2.0', '２.0', '2.0\n'])
      expect(validSyncVersion(bad), bad).toBe(false);
    for (const good of ['1.0', '2.0', '2', '3.5', '0']) expect(validSyncVersion(good)).toBe(true);
  });

  it('MaxSyncApplicationVersion is 2.0 from Windows 10 (build 10240) on, 1.0 before', () => {
    expect(maxSyncApplicationVersion(10240)).toBe('2.0');
    expect(maxSyncApplicationVersion(26100)).toBe('2.0');
    expect(maxSyncApplicationVersion(10239)).toBe('1.0');
    expect(maxSyncApplicationVersion(Number.NaN)).toBe('1.0');
    expect(buildOf('10.0.14393.12')).toBe(14393);
    expect(buildOf('10.0')).toBeNaN();
  });

  it('refuses above the maximum (406) and going back from 2.0 (403), Delete included', () => {
    expect(syncVersionRefusal('2.0', '1.0', '2.0')).toBeNull();
    expect(syncVersionRefusal('3.0', '1.0', '2.0')).toBe(406);
    expect(syncVersionRefusal('2.0', '1.0', '1.0')).toBe(406);
    expect(syncVersionRefusal('1.0', '2.0', '2.0')).toBe(403);
    expect(syncVersionRefusal(null, '2.0', '2.0')).toBe(403);
    expect(syncVersionRefusal(null, '1.0', '2.0')).toBeNull();
    expect(syncVersionRefusal('1.0', '1.1', '2.0')).toBeNull();
    expect(syncVersionRefusal('2', '2.0', '2.0')).toBeNull();
  });

  it('writes the SessionID in decimal under 1.x and as 2 bytes in hexadecimal from 2.0', () => {
    expect(wireSessionId(26, '1.0')).toBe('26');
    expect(wireSessionId(26, '2.0')).toBe('001A');
    expect(wireSessionId(65535, '2')).toBe('FFFF');
    expect(wireSessionId(65536, '2.0')).toBe('0000');
    expect(() => wireSessionId(-1, '2.0')).toThrow(RangeError);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffff }), (n) => {
        const id = wireSessionId(n, '2.0');
        expect(id).toMatch(/^[0-9A-F]{4}$/);
        expect(parseInt(id, 16)).toBe(n);
      }),
    );
  });
});

describe('the nodes', () => {
  it('MaxSyncApplicationVersion follows the OS build; 2.0 is accepted, abc refused', () => {
    const tree = fakeTree(defaultIdentity('d', '1607'));
    expect(tree.read(MAX)).toBe('2.0');
    expect(tree.read(SYNC)).toBe('1.0');
    expect(run(tree, 'Replace', 'abc')).toBe(415);
    expect(run(tree, 'Replace', '3.0')).toBe(406);
    expect(run(tree, 'Add', '2.0')).toBe(418);
    expect(run(tree, 'Replace', '2.0')).toBe(200);
    expect(tree.read(SYNC)).toBe('2.0');
    expect(run(tree, 'Replace', '1.0')).toBe(403);
    expect(run(tree, 'Delete')).toBe(403);
    expect(tree.read(SYNC)).toBe('2.0');
    expect(
      tree.run({ kind: 'Replace', cmdId: '3', items: [{ target: MAX, data: '9.0' }] }).statuses,
    ).toEqual([{ code: 405, target: MAX }]);
  });

  it('property: the version only matches the pattern, never exceeds the maximum, never goes back from 2.0', () => {
    const change = fc.record({
      kind: fc.constantFrom<'Replace' | 'Delete'>('Replace', 'Delete'),
      value: fc.oneof(fc.constantFrom('1.0', '2.0', '2', '1', '3.0', '0.5', '1.9'), fc.string()),
    });
    fc.assert(
      fc.property(fc.array(change, { maxLength: 12 }), (changes) => {
        const tree = fakeTree(defaultIdentity('d', '22H2'));
        let reached2 = false;
        for (const c of changes) {
          const before = Number(tree.read(SYNC));
          const code = run(tree, c.kind, c.kind === 'Delete' ? undefined : c.value);
          const now = tree.read(SYNC) ?? '';
          expect(validSyncVersion(now)).toBe(true);
          expect(Number(now)).toBeLessThanOrEqual(2);
          if (code !== 200) expect(Number(now)).toBe(before);
          reached2 ||= Number(now) >= 2;
          if (reached2) expect(Number(now)).toBe(2);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the version a server set is in the tree state, and comes back with it', () => {
    const tree = fakeTree(defaultIdentity('d', '22H2'));
    expect(run(tree, 'Replace', '2.0')).toBe(200);
    const state = tree.saveState();
    expect(state).toContainEqual({ uri: SYNC, present: true, value: '2.0' });
    const again = fakeTree(defaultIdentity('d', '22H2'));
    again.loadState(state);
    expect(again.read(SYNC)).toBe('2.0');
    expect(run(again, 'Replace', '1.0')).toBe(403);
  });
});

describe('the session', () => {
  const identity = defaultIdentity('dev-v2', '22H2');

  function open(tree: DmTree, counter: string): ClientSession {
    return new ClientSession({
      sessionId: counter,
      serverUrl: SERVER,
      devId: identity.devId,
      tree,
    });
  }

  it('uses 2.0 (a hexadecimal SessionID) from the session after the Replace, not in it', () => {
    const tree = fakeTree(identity);
    const first = open(tree, '26');
    expect(first.protocolVersion).toBe('1.0');
    expect(first.start().header.sessionId).toBe('26');
    const replace = {
      kind: 'Replace' as const,
      cmdId: '2',
      items: [{ target: SYNC, data: '2.0' }],
    };
    const answer = sent(first.receive(serverMessage('26', identity.devId, 1, [replace], false)));
    expect(answer.header.sessionId).toBe('26');
    expect(first.receive(serverMessage('26', identity.devId, 2, [])).kind).toBe('done');

    const second = open(tree, '27');
    expect(second.protocolVersion).toBe('2.0');
    expect(second.sessionId).toBe('001B');
    expect(second.start().header.sessionId).toBe('001B');
    // The server echoes the SessionID it got; the decimal one is not this session's.
    expect(second.receive(serverMessage('27', identity.devId, 1, []))).toEqual({
      kind: 'failed',
      reason: "SessionID '27' is not this session's ('001B')",
    });
    const third = open(tree, '28');
    third.start();
    expect(third.receive(serverMessage('001C', identity.devId, 1, [])).kind).toBe('done');
  });

  it('a tree without a provider, or with a stray value, runs 1.0', () => {
    const bare = new Tree().define('./DevInfo', { format: 'node', access: ['Get'] });
    expect(open(bare, '5').protocolVersion).toBe('1.0');
  });
});
