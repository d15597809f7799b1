/**
 * The judges of push provisioning in the lifecycle situation: the server sets `Push/PFN` on a new
 * device (`pfn-set`), then reads `Push/ChannelURI` (`channel-read`) and `Push/Status`
 * (`status-read`). Pure functions of a {@link Recording}.
 *
 * @module
 */
import type { CheckDefinition, Evidence, Recording, SyncMLExchange, Verdict } from '../model.js';
import {
  commandsOn,
  deviceEvidence,
  eventsOf,
  flatCommands,
  itemsOf,
  isProviderNode,
  resultsFor,
  serverCommands,
  syncmlEvidence,
  verdict,
  type ServerCommand,
} from '../recorded.js';
import { DMCLIENT_CSP, PUSH_PAGE } from '../sources.js';

/** The value a set command writes to `Push/PFN` (trimmed; `''` when it carries none). */
function pfnValue(x: ServerCommand): string {
  const item = itemsOf(x.command).find((i) => isProviderNode(i.target, 'Push/PFN'));
  return (item?.data ?? '').trim();
}

/** The server's Add and Replace commands on `Push/PFN`, oldest first. */
function pfnSets(recording: Recording): ServerCommand[] {
  return commandsOn(recording, ['Add', 'Replace'], 'Push/PFN');
}

/** The exchanges of `x`'s device after `x` in the same session, oldest first. */
function laterInSession(recording: Recording, x: SyncMLExchange): SyncMLExchange[] {
  return recording.syncml.filter(
    (e) => e.deviceId === x.deviceId && e.sessionId === x.sessionId && e.seq > x.seq,
  );
}

/** The status code the device returned for a server command (in its next message), if any. */
function deviceStatus(recording: Recording, x: ServerCommand): string | undefined {
  const msgRef = x.exchange.reply?.header.msgId;
  for (const next of laterInSession(recording, x.exchange)) {
    const found = flatCommands(next.sent).find(
      (c) => c.kind === 'Status' && c.cmdRef === x.command.cmdId && c.msgRef === msgRef,
    );
    if (found?.kind === 'Status') return found.data;
  }
  return undefined;
}

/** The device's Results for `leaf` that answer `x` (later in the same session), oldest first. */
function resultsIn(
  recording: Recording,
  x: ServerCommand,
  leaf: string,
): { readonly exchange: SyncMLExchange; readonly value: string }[] {
  const later = new Set(laterInSession(recording, x.exchange).map((e) => e.seq));
  return resultsFor(recording, leaf).filter((r) => later.has(r.exchange.seq));
}

/** Evidence of one of the device's Results (none when absent). */
function resultsEvidence(
  leaf: string,
  r: { readonly exchange: SyncMLExchange; readonly value: string } | undefined,
): Evidence[] {
  if (!r) return [];
  const where = `session ${r.exchange.sessionId} msg ${r.exchange.sent.header.msgId}`;
  return [
    {
      time: r.exchange.time,
      kind: 'syncml',
      text: `device's Results: ${leaf} = ${r.value.slice(0, 60)} (${where})`,
    },
  ];
}

/** Evidence of a server command with the device's answer to it. */
function answered(recording: Recording, x: ServerCommand): Evidence {
  const status = deviceStatus(recording, x);
  return syncmlEvidence(
    x,
    status === undefined ? 'no answer recorded' : `device answered ${status}`,
  );
}

/**
 * When the session of `x` started: the last `session.started` of its device at or before the
 * session's first answer (the answer's own instant when the timeline has none).
 */
function sessionStart(recording: Recording, x: SyncMLExchange): number {
  const own = recording.syncml.filter((e) => e.deviceId === x.deviceId && e.seq <= x.seq);
  let first = x;
  for (let i = own.length - 1; i >= 0 && own[i]?.sessionId === x.sessionId; i--) {
    first = own[i] as SyncMLExchange;
  }
  const started = eventsOf(recording, 'session.started').filter(
    (e) => (e.device === null || e.device === x.deviceId) && e.time <= first.time,
  );
  return started.at(-1)?.time ?? first.time;
}

/** `pfn-set`: the server provisions push with the PFN the emulator knows, and a channel follows. */
function judgePfnSet(recording: Recording): Verdict {
  const sets = pfnSets(recording);
  const stopped = recording.aborted ? ` (the situation stopped: ${recording.aborted})` : '';
  if (sets.length === 0) return verdict('fail', `the server never set Push/PFN${stopped}`);
  const good = sets.find((x) => pfnValue(x) === recording.pfn);
  if (!good) {
    const wrong = sets[0] as ServerCommand;
    const refused = eventsOf(recording, 'channel.request-failed')
      .filter((e) => e.reason === 'invalid-pfn')
      .map(deviceEvidence);
    return verdict(
      'fail',
      `the server set Push/PFN to "${pfnValue(wrong)}", not the PFN WNS knows for its app ("${recording.pfn}")`,
      [answered(recording, wrong), ...refused.slice(0, 3)],
    );
  }
  const from = good.exchange.time;
  const channel = eventsOf(recording, 'channel.issued').find((e) => e.time >= from);
  const ok = eventsOf(recording, 'push.status').find((e) => e.time >= from && e.status === 0);
  const evidence = [answered(recording, good)];
  if (!channel && !ok) {
    const trouble = [
      ...eventsOf(recording, 'channel.request-failed'),
      ...eventsOf(recording, 'push.status'),
    ].filter((e) => e.time >= from);
    return verdict(
      'fail',
      `the server set Push/PFN (session ${good.exchange.sessionId}) but the device got no channel${stopped}`,
      [...evidence, ...trouble.map(deviceEvidence)],
    );
  }
  const after = [channel, ok].filter((e) => e !== undefined).map(deviceEvidence);
  return verdict(
    'pass',
    `the server set Push/PFN to the app's PFN in session ${good.exchange.sessionId}; the device got a channel (Push/Status 0)`,
    [...evidence, ...after],
  );
}

export const pfnSetCheck: CheckDefinition = {
  id: 'pfn-set',
  title: 'Sets Push/PFN on a new device',
  situation: 'lifecycle',
  needsTrigger: false,
  source: {
    quote: "The server must use the same PFN as the devices it's managing.",
    ...DMCLIENT_CSP,
  },
  judge: judgePfnSet,
};

/** Why there is no channel to read: points to `pfn-set`. */
function noChannel(recording: Recording): Verdict {
  const sets = pfnSets(recording);
  const why =
    sets.length === 0
      ? 'the server never set Push/PFN'
      : `no channel was issued after the server set Push/PFN to "${pfnValue(sets[0] as ServerCommand)}"`;
  const stopped = recording.aborted ? `; the situation stopped: ${recording.aborted}` : '';
  return verdict('skip', `no channel to read: ${why} (see pfn-set)${stopped}`);
}

/** `channel-read`: a Get of `Push/ChannelURI` once the device has a channel, answered with it. */
function judgeChannelRead(recording: Recording): Verdict {
  const issued = eventsOf(recording, 'channel.issued');
  const first = issued[0];
  if (!first) return noChannel(recording);
  const uris = new Set(issued.map((e) => e.channelUri));
  const gets = commandsOn(recording, ['Get'], 'Push/ChannelURI');
  const carried = (x: ServerCommand) =>
    resultsIn(recording, x, 'Push/ChannelURI').find((r) => uris.has(r.value));
  const read = gets.find((x) => carried(x) !== undefined);
  const issuedEvidence = deviceEvidence(first);
  if (read) {
    return verdict(
      'pass',
      `the server read Push/ChannelURI in session ${read.exchange.sessionId} (trigger ${read.exchange.trigger}) and got the device's channel`,
      [
        issuedEvidence,
        answered(recording, read),
        ...resultsEvidence('Push/ChannelURI', carried(read)),
      ],
    );
  }
  if (gets.length === 0) {
    return verdict('fail', 'the server never read Push/ChannelURI', [issuedEvidence]);
  }
  const after = gets.filter((x) => sessionStart(recording, x.exchange) >= first.time);
  const shown = [issuedEvidence, ...gets.slice(0, 4).map((x) => answered(recording, x))];
  if (after.length === 0) {
    return verdict(
      'fail',
      'the server read Push/ChannelURI only before the device had a channel, never after',
      shown,
    );
  }
  return verdict(
    'fail',
    "the server's Get of Push/ChannelURI was not answered with the device's channel",
    shown,
  );
}

export const channelReadCheck: CheckDefinition = {
  id: 'channel-read',
  title: 'Reads Push/ChannelURI once the device has a channel',
  situation: 'lifecycle',
  needsTrigger: false,
  source: {
    quote:
      "It's recommended that, during every management session, the management server queries the ChannelURI value to ensure that it has received the latest value.",
    ...PUSH_PAGE,
  },
  judge: judgeChannelRead,
};

/** `status-read`: a Get of `Push/Status` after the server set `Push/PFN`. */
function judgeStatusRead(recording: Recording): Verdict {
  const sets = pfnSets(recording);
  const firstSet = sets[0];
  if (!firstSet) {
    const stopped = recording.aborted ? `; the situation stopped: ${recording.aborted}` : '';
    return verdict(
      'skip',
      `the server never set Push/PFN, so there is no push status to read (see pfn-set)${stopped}`,
    );
  }
  const all = serverCommands(recording);
  const position = (x: ServerCommand): number =>
    all.findIndex((a) => a.exchange === x.exchange && a.command === x.command);
  const setAt = position(firstSet);
  const read = commandsOn(recording, ['Get'], 'Push/Status').find((x) => position(x) > setAt);
  if (!read) {
    return verdict('fail', 'the server never read Push/Status after setting Push/PFN', [
      answered(recording, firstSet),
    ]);
  }
  const value = resultsIn(recording, read, 'Push/Status')[0];
  const got = value ? `; the device answered ${value.value}` : '';
  return verdict(
    'pass',
    `the server read Push/Status in session ${read.exchange.sessionId} after setting Push/PFN${got}`,
    [
      answered(recording, firstSet),
      answered(recording, read),
      ...resultsEvidence('Push/Status', value),
    ],
  );
}

export const statusReadCheck: CheckDefinition = {
  id: 'status-read',
  title: 'Reads Push/Status after setting Push/PFN',
  situation: 'lifecycle',
  needsTrigger: false,
  source: {
    quote:
      'An integer that maps to a known error state or condition on the system. Valid values are: 0 - Success, 1 - Failure: invalid PFN',
    ...DMCLIENT_CSP,
  },
  judge: judgeStatusRead,
};
