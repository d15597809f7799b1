/**
 * Per-element errors ("OMA DM protocol support", DM protocol commands): an element that is not a
 * command the device runs gets Status 400 for itself (CmdRef its CmdID, Cmd its name) under
 * SyncBody, Atomic or Sequence, and the session goes on; Add then Replace of one node in an
 * Atomic is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/core/dm/client-session.js';
import { defaultIdentity } from '../../src/core/dm/windows-tree.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import type { Command } from '../../src/core/syncml/message.js';
import { fakeTree, SERVER, sent, serverMessage, statusTriples } from '../helpers/dm-session.js';

const identity = defaultIdentity('dev-elements', '1607');
const DEV = identity.devId;
const KNOWN = new Set(
  'Get Add Replace Delete Exec Alert Atomic Sequence Status Results Final CmdID Meta NoResp'.split(
    ' ',
  ),
);
const POLL = './Vendor/MSFT/DMClient/Provider/MDMSRV/Poll/IntervalForFirstSetOfRetries';

function open() {
  const tree = fakeTree(identity);
  const session = new ClientSession({ sessionId: '3', serverUrl: SERVER, devId: DEV, tree });
  session.start();
  return { tree, session };
}

/** The server's message as XML, parsed as the device parses it. */
function fromXml(body: string): ReturnType<typeof serverMessage> {
  const xml = serializeSyncML(serverMessage('3', DEV, 1, []));
  return parseSyncML(xml.replace('<Final/>', `${body}<Final/>`));
}

const getMan = (cmdId: number) =>
  `<Get><CmdID>${cmdId}</CmdID><Item><Target><LocURI>./DevInfo/Man</LocURI></Target></Item></Get>`;

describe('unsupported elements', () => {
  it('Copy in SyncBody gets 400, the Get after it runs and the session goes on', () => {
    const { session } = open();
    const reply = sent(session.receive(fromXml(`<Copy><CmdID>2</CmdID></Copy>${getMan(3)}`)));
    expect(statusTriples(reply)).toEqual([
      ['Copy', '2', '400'],
      ['Get', '3', '200'],
    ]);
    expect(reply.commands.some((c) => c.kind === 'Results')).toBe(true);
  });

  it('an element or a command without CmdID gets a blank CmdRef and 400', () => {
    const { session } = open();
    const noCmdId = '<Map/><Get><Item><Target><LocURI>./DevInfo/Man</LocURI></Target></Item></Get>';
    expect(statusTriples(sent(session.receive(fromXml(noCmdId + getMan(4)))))).toEqual([
      ['Map', '', '400'],
      ['Get', '', '400'],
      ['Get', '4', '200'],
    ]);
  });

  it('in a Sequence only the element fails; in an Atomic it fails the Atomic (507, 216)', () => {
    const { session } = open();
    const replace = `<Replace><CmdID>5</CmdID><Item><Target><LocURI>${POLL}</LocURI></Target><Data>7</Data></Item></Replace>`;
    const body =
      `<Sequence><CmdID>2</CmdID><Search><CmdID>3</CmdID></Search>${getMan(4)}</Sequence>` +
      `<Atomic><CmdID>6</CmdID>${replace.replace('>5<', '>7<')}<Copy><CmdID>8</CmdID></Copy></Atomic>`;
    expect(statusTriples(sent(session.receive(fromXml(body))))).toEqual([
      ['Sequence', '2', '200'],
      ['Search', '3', '400'],
      ['Get', '4', '200'],
      ['Atomic', '6', '507'],
      ['Replace', '7', '216'],
      ['Copy', '8', '400'],
    ]);
  });

  it('property: any unknown element name under SyncBody, Atomic or Sequence gets its own 400', () => {
    const name = fc
      .stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,11}$/)
      .filter((n) => !KNOWN.has(n) && !n.toLowerCase().startsWith('xml'));
    const where = fc.constantFrom('SyncBody', 'Atomic', 'Sequence');
    fc.assert(
      fc.property(name, where, fc.boolean(), (element, container, withCmdId) => {
        const { session } = open();
        const unknown = withCmdId ? `<${element}><CmdID>9</CmdID></${element}>` : `<${element}/>`;
        const ref = withCmdId ? '9' : '';
        const body =
          container === 'SyncBody'
            ? `${unknown}${getMan(3)}`
            : container === 'Sequence'
              ? `<Sequence><CmdID>2</CmdID>${unknown}${getMan(3)}</Sequence>`
              : `<Atomic><CmdID>2</CmdID>${unknown}</Atomic>${getMan(3)}`;
        const step = session.receive(fromXml(body));
        const triples = statusTriples(sent(step));
        expect(triples).toContainEqual([element, ref, '400']);
        // The session went on: the Get after (or beside) it ran.
        expect(triples).toContainEqual(['Get', '3', '200']);
        if (container === 'Atomic') expect(triples).toContainEqual(['Atomic', '2', '507']);
        if (container === 'Sequence') expect(triples).toContainEqual(['Sequence', '2', '200']);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the limits still bound unsupported elements', () => {
  it('an unknown element nested past maxDepth, or a message past maxBytes, is still refused', () => {
    const deep = '<Copy>'.repeat(40) + '</Copy>'.repeat(40);
    expect(() => fromXml(deep)).toThrow(/maxDepth limit of 32/);
    const big = `<Copy><CmdID>2</CmdID><x>${'a'.repeat(1_048_576)}</x></Copy>`;
    expect(() => fromXml(big)).toThrow(/maxBytes limit of 1048576 bytes/);
  });
});

describe('Add then Replace of one node inside an Atomic', () => {
  const PROVIDER = './Vendor/MSFT/DMClient/Provider/MDMSRV';
  const add = (cmdId: string, target: string, data: string): Command => ({
    kind: 'Add',
    cmdId,
    items: [{ target, data }],
  });
  const replace = (cmdId: string, target: string, data: string): Command => ({
    kind: 'Replace',
    cmdId,
    items: [{ target, data }],
  });

  it('is refused: the Replace 406, the Add 216, the Atomic 507, nothing stored', () => {
    const { tree, session } = open();
    const atomic: Command = {
      kind: 'Atomic',
      cmdId: '2',
      commands: [add('3', `${PROVIDER}/EntDMID`, 'a'), replace('4', `${PROVIDER}/EntDMID`, 'b')],
    };
    const reply = sent(session.receive(serverMessage('3', DEV, 1, [atomic])));
    expect(statusTriples(reply)).toEqual([
      ['Atomic', '2', '507'],
      ['Add', '3', '216'],
      ['Replace', '4', '406'],
    ]);
    expect(tree.read(`${PROVIDER}/EntDMID`)).toBeNull();
  });

  it('is allowed outside an Atomic, and for different nodes inside one', () => {
    const { tree, session } = open();
    const atomic: Command = {
      kind: 'Atomic',
      cmdId: '4',
      commands: [add('5', `${PROVIDER}/EntDMID`, 'a'), replace('6', POLL, '9')],
    };
    const commands = [
      add('2', `${PROVIDER}/ExchangeID`, 'x'),
      replace('3', `${PROVIDER}/ExchangeID`, 'y'),
      atomic,
    ];
    const reply = sent(session.receive(serverMessage('3', DEV, 1, commands)));
    expect(statusTriples(reply).map((t) => t[2])).toEqual(['200', '200', '200', '200', '200']);
    expect(tree.read(`${PROVIDER}/ExchangeID`)).toBe('y');
    expect(tree.read(`${PROVIDER}/EntDMID`)).toBe('a');
  });
});
