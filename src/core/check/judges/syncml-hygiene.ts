/**
 * `syncml-hygiene`: every message the server answered is well-formed SyncML DM 1.2 (OMA DM
 * protocol 1.2; Microsoft's "OMA DM protocol support"): the media type, the SyncHdr, a Status for
 * the SyncHdr and for each command the device sent, unique CmdIDs, `Final` at the end of a
 * package. Each kind of violation is named once, with its first occurrence. Pure.
 *
 * @module
 */
import {
  commandName,
  SYNCML_CONTENT_TYPE,
  type Command,
  type StatusCommand,
} from '../../syncml/message.js';
import type { CheckDefinition, Evidence, Recording, SyncMLExchange, Verdict } from '../model.js';
import { flatCommands, verdict } from '../recorded.js';
import { OMA_DM_PAGE } from '../sources.js';

/** One violation: its kind (named once in the verdict) and where it was seen. */
interface Violation {
  readonly kind: string;
  readonly detail: string;
}

/** A violation of `kind` with `detail`. */
const v = (kind: string, detail: string): Violation => ({ kind, detail });

/** The transport: the media type, and an answer the codec could not read. */
function transport(x: SyncMLExchange): Violation[] {
  const out: Violation[] = [];
  if (x.contentType !== null && x.contentType !== SYNCML_CONTENT_TYPE)
    out.push(v('content type', `${x.contentType}, not ${SYNCML_CONTENT_TYPE}`));
  if (x.problem !== undefined) out.push(v('malformed reply', x.problem));
  return out;
}

/** The reply's SyncHdr against the device's. */
function header(x: SyncMLExchange): Violation[] {
  const sent = x.sent.header;
  const got = x.reply?.header;
  if (!got) return [];
  const out: Violation[] = [];
  if (got.verDTD !== '1.2') out.push(v('VerDTD', `${got.verDTD || '(empty)'}, not 1.2`));
  if (got.verProto !== 'DM/1.2')
    out.push(v('VerProto', `${got.verProto || '(empty)'}, not DM/1.2`));
  if (got.sessionId !== sent.sessionId)
    out.push(v('SessionID', `${got.sessionId || '(empty)'}, the device's is ${sent.sessionId}`));
  if (!got.msgId) out.push(v('MsgID', 'missing'));
  if (got.target !== sent.source)
    out.push(v('Target', `${got.target || '(empty)'}, not the device's DevId ${sent.source}`));
  if (!got.source) out.push(v('Source', 'missing'));
  return out;
}

/** The Status a reply must carry for `cmdRef` (`0`: the SyncHdr) of the device's `cmd`. */
function statusFor(
  statuses: readonly StatusCommand[],
  msgRef: string,
  cmdRef: string,
  cmd: string,
): Violation[] {
  const what = cmdRef === '0' ? 'the SyncHdr' : `${cmd} CmdID ${cmdRef}`;
  const same = statuses.filter((s) => s.cmdRef === cmdRef);
  const status = same.find((s) => s.msgRef === msgRef);
  if (!status) {
    const wrong = same[0];
    return [
      wrong
        ? v(
            'Status MsgRef',
            `Status for ${what} has MsgRef ${wrong.msgRef || '(empty)'}, not ${msgRef}`,
          )
        : v(
            cmdRef === '0' ? 'no Status for the SyncHdr' : 'no Status for a command',
            `none for ${what}`,
          ),
    ];
  }
  return status.cmd === cmd
    ? []
    : [v('Status Cmd', `Status for ${what} says Cmd ${status.cmd || '(empty)'}`)];
}

/**
 * A Status for the SyncHdr and for every command the device sent but its Statuses and Results (OMA
 * DM 1.2, package 2: "The Status MUST be returned in the SyncBody for the SyncHdr and Alerts sent
 * by the client"; SyncML has no Status for a Status, and none is required for Results).
 */
function statuses(x: SyncMLExchange): Violation[] {
  if (!x.reply) return [];
  const got = x.reply.commands.filter((c): c is StatusCommand => c.kind === 'Status');
  const msgRef = x.sent.header.msgId;
  // A challenge (401 or 407 on the SyncHdr) refuses the whole message: its commands were not
  // run, and the device sends them again with its credentials, so they are owed no Status.
  const refused = got.some((c) => c.cmdRef === '0' && (c.data === '401' || c.data === '407'));
  const owed = refused
    ? []
    : x.sent.commands.filter((c) => c.kind !== 'Status' && c.kind !== 'Results');
  return [
    ...statusFor(got, msgRef, '0', 'SyncHdr'),
    ...owed.flatMap((c) => statusFor(got, msgRef, c.cmdId, commandName(c))),
  ];
}

/** Each command of the reply has a CmdID, and no two share one. */
function cmdIds(x: SyncMLExchange): Violation[] {
  if (!x.reply) return [];
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const c of flatCommands(x.reply)) {
    if (!c.cmdId) out.push(v('missing CmdID', `${commandName(c)} has none`));
    else if (seen.has(c.cmdId)) out.push(v('duplicate CmdID', `CmdID ${c.cmdId} used twice`));
    seen.add(c.cmdId);
  }
  return out;
}

/** True when `message` asks for the next message of the package (Alert 1222). */
const asksForMore = (commands: readonly Command[]): boolean =>
  commands.some((c) => c.kind === 'Alert' && c.data === '1222');

/**
 * A reply without `Final` says more messages of its package follow: the device then asks for them
 * (Alert 1222) in its next message of the session. Without that, the reply ended its package.
 */
function final(x: SyncMLExchange, next: SyncMLExchange | undefined): Violation[] {
  if (!x.reply || x.reply.final) return [];
  if (next && asksForMore(next.sent.commands)) return [];
  return [v('Final', 'missing on the message that ends the package')];
}

/** The device's next exchange of the same session, if any. */
function nextInSession(all: readonly SyncMLExchange[], i: number): SyncMLExchange | undefined {
  const x = all[i];
  return all
    .slice(i + 1)
    .find((y) => x !== undefined && y.deviceId === x.deviceId && y.sessionId === x.sessionId);
}

/** Where an exchange is, for evidence. */
const where = (x: SyncMLExchange): string =>
  `session ${x.sessionId}, device msg ${x.sent.header.msgId}, reply msg ${x.reply?.header.msgId ?? '?'}`;

function judgeHygiene(recording: Recording): Verdict {
  const answered = [...recording.syncml]
    .sort((a, b) => a.seq - b.seq)
    .filter((x) => x.reply !== null || x.problem !== undefined);
  if (!answered.length) {
    const why = recording.aborted ?? 'the server answered no SyncML message';
    return verdict('skip', `No message to check: ${why}`);
  }
  const first = new Map<string, { readonly evidence: Evidence; count: number }>();
  answered.forEach((x, i) => {
    const found = [
      ...transport(x),
      ...header(x),
      ...statuses(x),
      ...cmdIds(x),
      ...final(x, nextInSession(answered, i)),
    ];
    for (const { kind, detail } of found) {
      const seen = first.get(kind);
      if (seen) seen.count++;
      else
        first.set(kind, {
          evidence: { time: x.time, kind: 'syncml', text: `${kind}: ${detail} (${where(x)})` },
          count: 1,
        });
    }
  });
  const n = `${answered.length} server message(s)`;
  if (!first.size) return verdict('pass', `${n} checked: well-formed SyncML DM 1.2`);
  const kinds = [...first].map(([kind, { count }]) => (count > 1 ? `${kind} (${count}×)` : kind));
  const evidence = [...first.values()].map((f) => f.evidence);
  return verdict(
    'fail',
    `${kinds.length} kind(s) of violation in ${n}: ${kinds.join(', ')}`,
    evidence,
  );
}

export const syncmlHygieneCheck: CheckDefinition = {
  id: 'syncml-hygiene',
  title: 'Writes well-formed SyncML DM 1.2',
  situation: 'lifecycle',
  needsTrigger: false,
  source: {
    quote:
      'Specifies the ID of the command for which status or results information is being returned. This element takes the value of the CmdID element of the corresponding request message.',
    ...OMA_DM_PAGE,
  },
  judge: judgeHygiene,
};
