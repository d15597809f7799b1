/**
 * The checks of a channel that changes under the server: the day-15 renewal
 * (`channel-reread-after-renewal`) and a device offline across its channel's expiry
 * (`offline-across-expiry`). Both ask whether the server read the new ChannelURI once the device
 * had it. Pure.
 *
 * @module
 */
import type { TimelineEventOf } from '../../timeline/events.js';
import type {
  CheckDefinition,
  Evidence,
  Mark,
  Recording,
  SyncMLExchange,
  Verdict,
} from '../model.js';
import {
  commandsOn,
  deviceEvidence,
  eventsOf,
  marksOf,
  notifies,
  resultsFor,
  shortUri,
  stepEvidence,
  syncmlEvidence,
  verdict,
  wnsEvidence,
  type ServerCommand,
} from '../recorded.js';
import { PUSH_PAGE } from '../sources.js';

/** A renewal of the device's channel: the request, the new channel and the one it replaced. */
interface Renewal {
  readonly requested: TimelineEventOf<'channel.requested'>;
  readonly issued: TimelineEventOf<'channel.issued'>;
  /** The URI the device had before (absent when it had none). */
  readonly oldUri?: string;
}

/** The server's Get of `Push/ChannelURI` and the device's Results that carried the new URI. */
interface Reread {
  readonly get: ServerCommand;
  readonly results: SyncMLExchange;
}

/** The first renewal requested at or after `after` that got a channel; null when none did. */
function renewalAfter(recording: Recording, after: number): Renewal | null {
  const requested = eventsOf(recording, 'channel.requested').find(
    (e) => e.reason === 'renewal' && e.time >= after,
  );
  if (!requested) return null;
  const issuedList = eventsOf(recording, 'channel.issued');
  const issued = issuedList.find((e) => e.time >= requested.time);
  if (!issued) return null;
  const before = issuedList.filter((e) => e.time <= requested.time).at(-1);
  return { requested, issued, ...(before ? { oldUri: before.channelUri } : {}) };
}

/**
 * The server's first read of the renewed URI: a Get of `Push/ChannelURI` answered after the new
 * channel was issued, followed in the same session by the device's Results carrying the new URI
 * (the device knows it only from the issue on). Null when the server never read it.
 */
function rereadAfter(recording: Recording, renewal: Renewal): Reread | null {
  const uri = renewal.issued.channelUri;
  const told = resultsFor(recording, 'Push/ChannelURI').filter((r) => r.value === uri);
  for (const get of commandsOn(recording, ['Get'], 'Push/ChannelURI')) {
    const x = get.exchange;
    if (x.time < renewal.issued.time) continue;
    const answer = told.find(
      ({ exchange: r }) =>
        r.deviceId === x.deviceId && r.sessionId === x.sessionId && r.seq > x.seq,
    );
    if (answer) return { get, results: answer.exchange };
  }
  return null;
}

/** Evidence of the device's Results telling the server `uri`. */
function resultsEvidence(exchange: SyncMLExchange, uri: string): Evidence {
  const where = `session ${exchange.sessionId} msg ${exchange.sent.header.msgId}, trigger ${exchange.trigger}`;
  return {
    time: exchange.time,
    kind: 'syncml',
    text: `Results Push/ChannelURI = ${shortUri(uri)} (${where})`,
  };
}

/** The evidence of a reread. */
const rereadEvidence = (r: Reread, uri: string): Evidence[] => [
  syncmlEvidence(r.get),
  resultsEvidence(r.results, uri),
];

/** The evidence of a renewal: the request and the new channel. */
const renewalEvidence = (r: Renewal): Evidence[] => [
  deviceEvidence(r.requested),
  deviceEvidence(r.issued),
];

/**
 * Where the first push after the renewal went: a sentence for the summary and whether it went
 * wrong. No trigger, a failed trigger or no push: the push is not judged here (push-wakes-session
 * judges whether a trigger leads to a push), only named.
 */
function nextPush(
  recording: Recording,
  renewal: Renewal,
): { readonly text: string; readonly wrong: boolean; readonly evidence: Evidence[] } {
  if (!recording.triggers)
    return { text: 'the next push was not checked (no trigger)', wrong: false, evidence: [] };
  const trigger = marksOf(recording, 'trigger').find((m) => m.time >= renewal.issued.time);
  if (!trigger)
    return { text: 'the next push was not checked (no trigger ran)', wrong: false, evidence: [] };
  const push = notifies(recording).find((e) => e.time >= trigger.time);
  const evidence = [stepEvidence(trigger), ...(push ? [wnsEvidence(push)] : [])];
  if (!push) {
    const why = trigger.ok === false ? 'the trigger failed' : 'no push followed the trigger';
    return { text: `the next push was not checked (${why})`, wrong: false, evidence };
  }
  const newUri = renewal.issued.channelUri;
  if (push.channelUri === newUri)
    return { text: 'the next push went to the new URI', wrong: false, evidence };
  const where = push.channelUri === renewal.oldUri ? 'the old URI' : 'a URI other than the new one';
  return { text: `the next push went to ${where}`, wrong: true, evidence };
}

/** `channel-reread-after-renewal`. */
function judgeReread(recording: Recording): Verdict {
  const renewal = renewalAfter(recording, recording.start);
  if (!renewal) {
    const why = recording.aborted ?? 'the device did not renew its channel during the recording';
    return verdict('skip', `No renewal to judge: ${why}`);
  }
  const read = rereadAfter(recording, renewal);
  const push = nextPush(recording, renewal);
  const evidence = [...renewalEvidence(renewal), ...push.evidence];
  const uri = renewal.issued.channelUri;
  if (!read) {
    const summary = `The server never read the new ChannelURI after the renewal; ${push.text}`;
    return verdict('fail', summary, evidence);
  }
  evidence.push(...rereadEvidence(read, uri));
  if (push.wrong)
    return verdict('fail', `The server read the new ChannelURI, but ${push.text}`, evidence);
  if (read.get.exchange.trigger !== 'renewal') {
    const summary = `The server read the new ChannelURI only in a later session (trigger ${read.get.exchange.trigger}), pushing to a dead URI meanwhile; ${push.text}`;
    return verdict('warn', summary, evidence);
  }
  return verdict(
    'pass',
    `Read the new ChannelURI in the renewal's session; ${push.text}`,
    evidence,
  );
}

/** The first poll session completed after `mark`, as evidence; null when none was. */
function pollAfter(recording: Recording, mark: Mark): Evidence | null {
  const done = eventsOf(recording, 'session.completed').find(
    (e) => e.trigger === 'poll' && e.time >= mark.time,
  );
  return done ? deviceEvidence(done) : null;
}

/** `offline-across-expiry`. */
function judgeOfflineAcrossExpiry(recording: Recording): Verdict {
  const offline = marksOf(recording, 'offline')[0];
  const online = offline && marksOf(recording, 'online').find((m) => m.time >= offline.time);
  if (!offline || !online) {
    const why =
      recording.aborted ?? `the device never ${offline ? 'came back online' : 'went offline'}`;
    return verdict('skip', `Nothing to judge: ${why}`);
  }
  const evidence = [stepEvidence(offline), stepEvidence(online)];
  const expired = eventsOf(recording, 'channel.expired').find((e) => e.time >= offline.time);
  if (expired) evidence.push(deviceEvidence(expired));
  const poll = pollAfter(recording, online);
  if (poll) evidence.push(poll);
  const renewal = renewalAfter(recording, online.time);
  const read = renewal && rereadAfter(recording, renewal);
  if (renewal) evidence.push(deviceEvidence(renewal.issued));
  if (read && renewal) evidence.push(...rereadEvidence(read, renewal.issued.channelUri));
  const missing = [
    ...(poll
      ? []
      : ['no poll session completed after the device came back (polling did not resume)']),
    ...(!renewal ? ['the device got no new channel after it came back'] : []),
    ...(renewal && !read ? ['the server never read the new ChannelURI'] : []),
  ];
  if (missing.length) return verdict('fail', `Not managed again: ${missing.join('; ')}`, evidence);
  return verdict(
    'pass',
    'Managed again after coming back: polling resumed and the server read the new ChannelURI',
    evidence,
  );
}

export const channelRereadCheck: CheckDefinition = {
  id: 'channel-reread-after-renewal',
  title: 'Reads the new ChannelURI after a renewal',
  situation: 'renewal',
  needsTrigger: false,
  source: {
    quote:
      "It's recommended that, during every management session, the management server queries the ChannelURI value to ensure that it has received the latest value.",
    ...PUSH_PAGE,
  },
  judge: judgeReread,
};

export const offlineAcrossExpiryCheck: CheckDefinition = {
  id: 'offline-across-expiry',
  title: "Manages a device again after it was offline across its channel's expiry",
  situation: 'expiry',
  needsTrigger: false,
  source: {
    quote:
      "This query ensures that the management server doesn't attempt to use a ChannelURI that has expired.",
    ...PUSH_PAGE,
  },
  judge: judgeOfflineAcrossExpiry,
};
