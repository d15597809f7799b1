/**
 * The judge of the chain from trigger to session (`push-wakes-session`): the trigger, the server's
 * push, WNS's answer, the device's receipt, and the push session reaching the server. A pure
 * function of a {@link Recording}.
 *
 * @module
 */
import type { JournalEntry } from '../../wns/journal.js';
import type {
  CheckDefinition,
  Evidence,
  Mark,
  Recording,
  SyncMLExchange,
  Verdict,
} from '../model.js';
import {
  deviceEvidence,
  eventsOf,
  marksOf,
  notifies,
  stepEvidence,
  verdict,
  wnsEvidence,
} from '../recorded.js';
import { PUSH_PAGE } from '../sources.js';

/** Evidence of the push session's first exchange with the server. */
function exchangeEvidence(x: SyncMLExchange): Evidence {
  const answer = x.httpStatus === null ? 'no answer' : `HTTP ${x.httpStatus}`;
  return {
    time: x.time,
    kind: 'syncml',
    text: `push session ${x.sessionId} msg ${x.sent.header.msgId} → ${answer}`,
  };
}

/** A duration for people: `350 ms`, `1.2 s`, `3.5 min`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** `push-wakes-session`: trigger → push 200 → push received → push session reaches the server. */
function judgePushWakesSession(recording: Recording): Verdict {
  if (!recording.triggers) {
    return verdict('skip', 'the run has no trigger (--trigger-cmd or --trigger-url)');
  }
  const mark = marksOf(recording, 'trigger')[0];
  if (!mark) {
    const why = recording.aborted ? `: ${recording.aborted}` : '';
    return verdict('skip', `the situation stopped before the trigger${why}`);
  }
  if (mark.ok === false) {
    return verdict('fail', `the trigger failed: ${mark.detail ?? 'no detail'}`, [
      stepEvidence(mark),
    ]);
  }
  const channel = eventsOf(recording, 'channel.issued')
    .filter((e) => e.time <= mark.time)
    .at(-1);
  if (!channel) {
    return verdict('skip', 'the device had no channel when the trigger ran (see pfn-set)', [
      stepEvidence(mark),
    ]);
  }
  const after = notifies(recording).filter((e) => e.time >= mark.time);
  const toChannel = after.filter((e) => e.channelUri === channel.channelUri);
  const push = toChannel.find((e) => e.status === 200);
  if (!push) return noAcceptedPush(recording, mark, after, toChannel);
  return sessionAfterPush(recording, mark, push);
}

/** The failure when no push to the device's channel was accepted after the trigger. */
function noAcceptedPush(
  recording: Recording,
  mark: Mark,
  after: readonly JournalEntry[],
  toChannel: readonly JournalEntry[],
): Verdict {
  const first = toChannel[0];
  if (first) {
    const why = first.description ? ` (${first.description})` : '';
    return verdict('fail', `the push was rejected: ${first.status}${why}`, [
      stepEvidence(mark),
      ...toChannel.slice(0, 3).map(wnsEvidence),
    ]);
  }
  const timeout = marksOf(recording, 'timeout').filter((m) => m.time >= mark.time);
  const elsewhere = after.length
    ? `; it pushed to ${after.length === 1 ? 'another URI' : 'other URIs'}`
    : '';
  return verdict(
    'fail',
    `no push to the device's channel within the wait after the trigger${elsewhere}`,
    [stepEvidence(mark), ...after.slice(0, 2).map(wnsEvidence), ...timeout.map(stepEvidence)],
  );
}

/** The rest of the chain once WNS accepted the push: received, session started, reached, ended. */
function sessionAfterPush(recording: Recording, mark: Mark, push: JournalEntry): Verdict {
  const evidence: Evidence[] = [stepEvidence(mark), wnsEvidence(push)];
  const fail = (summary: string, more: readonly Evidence[] = []): Verdict =>
    verdict('fail', summary, [...evidence, ...more]);
  const since = (t: number) => (e: { time: number }) => e.time >= t;
  const received = eventsOf(recording, 'push.received')
    .filter(since(push.time))
    .find((e) => e.channelUri === push.channelUri);
  if (!received) {
    const lost = [...eventsOf(recording, 'push.dropped'), ...eventsOf(recording, 'push.cached')];
    return fail(
      'WNS accepted the push but the device never received it',
      lost.filter(since(push.time)).map(deviceEvidence),
    );
  }
  evidence.push(deviceEvidence(received));
  const isPush = (e: { trigger: string }): boolean => e.trigger === 'push';
  const started = eventsOf(recording, 'session.started').filter(since(received.time)).find(isPush);
  if (!started) {
    const held = [
      ...eventsOf(recording, 'session.skipped'),
      ...eventsOf(recording, 'session.queued'),
    ];
    return fail(
      'the device received the push but started no session',
      held.filter(since(received.time)).filter(isPush).map(deviceEvidence),
    );
  }
  evidence.push(deviceEvidence(started));
  const ends = [
    ...eventsOf(recording, 'session.completed'),
    ...eventsOf(recording, 'session.failed'),
  ];
  const end = ends
    .filter(since(started.time))
    .filter(isPush)
    .sort((a, b) => a.time - b.time)[0];
  if (end?.type === 'session.failed') {
    return fail(`the push session failed: ${end.reason}`, [deviceEvidence(end)]);
  }
  const exchange = recording.syncml.find(
    (x) => x.trigger === 'push' && x.time >= started.time && (!end || x.time <= end.time),
  );
  if (!exchange) return fail('the push session never reached the server');
  if (!end) {
    return fail('the push session did not end', marksOf(recording, 'timeout').map(stepEvidence));
  }
  const took =
    mark.realMs === undefined ? '' : ` (the trigger itself took ${formatDuration(mark.realMs)})`;
  return verdict(
    'pass',
    `trigger→push ${formatDuration(push.time - mark.time)}${took}, push→session ${formatDuration(exchange.time - push.time)}`,
    [...evidence, exchangeEvidence(exchange), deviceEvidence(end)],
  );
}

export const pushWakesSessionCheck: CheckDefinition = {
  id: 'push-wakes-session',
  title: 'Wakes the device with a push that starts a session',
  situation: 'lifecycle',
  needsTrigger: true,
  source: {
    quote:
      'With Windows Notification Services (WNS), a management server can request a device to establish a management session with the server through a push notification.',
    ...PUSH_PAGE,
  },
  judge: judgePushWakesSession,
};
