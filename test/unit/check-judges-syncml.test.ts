import { describe, expect, it } from 'vitest';
import { syncmlHygieneCheck } from '../../src/core/check/judges/syncml-hygiene.js';
import type { SyncMLExchange } from '../../src/core/check/model.js';
import type { Command, SyncMLMessage } from '../../src/core/syncml/message.js';
import {
  DEVID,
  T0,
  exchange,
  get,
  message,
  node,
  recording,
  replace,
  results,
  status,
} from '../helpers/check-recordings.js';

const judge = syncmlHygieneCheck.judge;
const alert = (cmdId: string, data: string): Command => ({ kind: 'Alert', cmdId, data, items: [] });

/** Package 1: Alert 1201 (CmdID 1) and the DevInfo Replace (CmdID 2). */
const package1 = message('device', '1', [
  alert('1', '1201'),
  replace('2', './DevInfo/DevId', DEVID),
]);
/** A good package 2: Statuses for the SyncHdr, the Alert and the Replace, then a Get. */
const package2 = (): SyncMLMessage =>
  message('server', '1', [
    status('1', '1', '0', 'SyncHdr'),
    status('2', '1', '1', 'Alert'),
    status('3', '1', '2', 'Replace'),
    get('4', node('Push/ChannelURI')),
  ]);
/** Package 3: the device's Statuses and the Get's Results. */
const package3 = message('device', '2', [
  status('1', '1', '0', 'SyncHdr'),
  status('2', '1', '4', 'Get'),
  results('3', '1', '4', node('Push/ChannelURI'), 'https://wns.example/w/1'),
]);
/** A good package 4: the SyncHdr's Status alone ends the session. */
const package4 = (): SyncMLMessage => message('server', '2', [status('1', '2', '0', 'SyncHdr')]);

/** A session of two exchanges, the replies changed by `edit`. */
function session(
  edit: { first?: Partial<SyncMLMessage>; second?: Partial<SyncMLMessage> } = {},
  extra: Partial<SyncMLExchange> = {},
): SyncMLExchange[] {
  return [
    exchange(T0, package1, { ...package2(), ...edit.first }, extra),
    exchange(T0 + 1000, package3, { ...package4(), ...edit.second }),
  ];
}
const withHeader = (fields: Partial<SyncMLMessage['header']>): Partial<SyncMLMessage> => ({
  header: { ...package2().header, ...fields },
});

describe('syncml-hygiene', () => {
  it('passes a well-formed session, counting its messages', () => {
    const v = judge(recording('lifecycle', { syncml: session() }));
    expect(v.result).toBe('pass');
    expect(v.summary).toBe('2 server message(s) checked: well-formed SyncML DM 1.2');
  });

  it('fails on another content type', () => {
    const v = judge(recording('lifecycle', { syncml: session({}, { contentType: 'text/xml' }) }));
    expect(v.result).toBe('fail');
    expect(v.evidence[0]?.text).toContain('content type: text/xml');
  });

  it('fails on a malformed reply, quoting the problem', () => {
    const broken = exchange(T0, package1, null, {
      httpStatus: 200,
      contentType: 'application/vnd.syncml.dm+xml',
      problem: 'SyncHdr has no SessionID',
    });
    const v = judge(recording('lifecycle', { syncml: [broken] }));
    expect(v.result).toBe('fail');
    expect(v.evidence[0]?.text).toContain('malformed reply: SyncHdr has no SessionID');
  });

  it.each([
    [{ verDTD: '1.1' }, 'VerDTD'],
    [{ verProto: 'DM/1.1' }, 'VerProto'],
    [{ sessionId: '9' }, 'SessionID'],
    [{ msgId: '' }, 'MsgID'],
    [{ target: 'https://mdm.example' }, 'Target'],
    [{ source: '' }, 'Source'],
  ])('fails on a wrong SyncHdr field (%o)', (fields, kind) => {
    const v = judge(recording('lifecycle', { syncml: session({ first: withHeader(fields) }) }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain(`: ${kind}`);
  });

  it('fails when a command of the device gets no Status', () => {
    const commands = package2().commands.filter((c) => !(c.kind === 'Status' && c.cmd === 'Alert'));
    const v = judge(recording('lifecycle', { syncml: session({ first: { commands } }) }));
    expect(v.result).toBe('fail');
    expect(v.evidence[0]?.text).toContain('no Status for a command: none for Alert CmdID 1');
  });

  it('owes no Status to the commands of a message refused with a challenge (401 or 407)', () => {
    for (const code of ['401', '407']) {
      const challenge = { commands: [status('1', '1', '0', 'SyncHdr', code)] };
      expect(judge(recording('lifecycle', { syncml: session({ first: challenge }) })).result).toBe(
        'pass',
      );
    }
    const accepted = { commands: [status('1', '1', '0', 'SyncHdr', '212')] };
    expect(judge(recording('lifecycle', { syncml: session({ first: accepted }) })).result).toBe(
      'fail',
    );
  });

  it('fails when the SyncHdr gets no Status', () => {
    const v = judge(recording('lifecycle', { syncml: session({ second: { commands: [] } }) }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('no Status for the SyncHdr');
  });

  it('fails on a Status with the wrong MsgRef or Cmd', () => {
    const commands = [
      status('1', '1', '0', 'SyncHdr'),
      status('2', '2', '1', 'Alert'),
      status('3', '1', '2', 'Add'),
    ];
    const v = judge(recording('lifecycle', { syncml: session({ first: { commands } }) }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('Status MsgRef');
    expect(v.summary).toContain('Status Cmd');
  });

  it('fails on a CmdID used twice', () => {
    const commands = [...package2().commands, get('4', node('Push/Status'))];
    const v = judge(recording('lifecycle', { syncml: session({ first: { commands } }) }));
    expect(v.result).toBe('fail');
    expect(v.evidence[0]?.text).toContain('duplicate CmdID: CmdID 4 used twice');
  });

  it('fails when the message that ends a package has no Final', () => {
    const v = judge(recording('lifecycle', { syncml: session({ second: { final: false } }) }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('Final');
  });

  it('accepts a message without Final when the device asks for the next one (Alert 1222)', () => {
    const more = message('device', '2', [status('1', '1', '0', 'SyncHdr'), alert('2', '1222')]);
    const rest = message('server', '2', [
      status('1', '2', '0', 'SyncHdr'),
      status('2', '2', '2', 'Alert'),
    ]);
    const syncml = [
      exchange(T0, package1, { ...package2(), final: false }),
      exchange(T0 + 1000, more, rest),
    ];
    expect(judge(recording('lifecycle', { syncml })).result).toBe('pass');
  });

  it('names each kind of violation once, with its first occurrence', () => {
    const bad = withHeader({ verDTD: '1.1' });
    const syncml = [...session({ first: bad }), ...session({ first: bad })];
    const v = judge(recording('lifecycle', { syncml }));
    expect(v.result).toBe('fail');
    expect(v.summary).toBe('1 kind(s) of violation in 4 server message(s): VerDTD (2×)');
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]?.time).toBe(T0);
  });

  it('skips when no message was answered, naming the abort', () => {
    const v = judge(recording('lifecycle', { aborted: 'the server could not be reached' }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('could not be reached');
  });
});
