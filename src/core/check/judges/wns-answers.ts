/**
 * The checks of what the server does with WNS's answers: a new token after 401
 * (`token-refresh-on-401`), silence on a channel after 410 (`gone-410-stops`), `Retry-After`
 * after 406 (`throttle-406-backoff`), and no flood of rejected pushes (`no-push-storm`). They read
 * the emulator's journal in its own order (`seq`). Pure.
 *
 * @module
 */
import type { JournalEntry } from '../../wns/journal.js';
import { HOUR } from '../../time/iso.js';
import {
  CHECK_BLOCK_AFTER,
  type CheckDefinition,
  type Evidence,
  type Recording,
  type Verdict,
} from '../model.js';
import {
  deviceEvidence,
  eventsOf,
  marksOf,
  notifies,
  resultsFor,
  shortUri,
  stepEvidence,
  verdict,
  wnsEvidence,
} from '../recorded.js';
import { HEADERS_PAGE, PUSH_PAGE } from '../sources.js';

/** Rejected pushes to one URI from which the storm check warns. */
const WARN_PER_URI = 10;
/** Consecutive 401s, without a token request between, that a server may see before refreshing. */
const MAX_401_RUN = 2;

/** The skip of a check that needs a push when the run has no trigger; null when it has one. */
const withoutTrigger = (recording: Recording): Verdict | null =>
  recording.triggers
    ? null
    : verdict(
        'skip',
        'No trigger (--trigger-cmd or --trigger-url): the server was never asked to push',
      );

/** The journal from `time` on, in the emulator's order. */
const journalFrom = (recording: Recording, time: number): JournalEntry[] =>
  recording.journal.filter((e) => e.time >= time).sort((a, b) => a.seq - b.seq);

/** True when WNS refused the push because the PFN is blocked ("Domain Blocked"). */
const domainBlocked = (e: JournalEntry): boolean =>
  e.op === 'notify' && (e.description ?? '').startsWith('Domain Blocked');

/** Seconds for a summary: `0.2 s`, `5 s`. */
const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** What followed the first 401: the longest run of 401s before a new token, and the new token. */
function afterRefused(entries: readonly JournalEntry[]): {
  readonly longestRun: number;
  readonly token?: JournalEntry;
  readonly failedTokens: JournalEntry[];
} {
  let run = 0;
  let longestRun = 0;
  const failedTokens: JournalEntry[] = [];
  for (const e of entries) {
    if (e.op === 'token' && e.status === 200) return { longestRun, token: e, failedTokens };
    if (e.op === 'token') failedTokens.push(e);
    run = e.op === 'token' ? 0 : e.op === 'notify' && e.status === 401 ? run + 1 : run;
    longestRun = Math.max(longestRun, run);
  }
  return { longestRun, failedTokens };
}

/**
 * After the first push refused with 401 (`rest` starts with it): a new token, then one push to
 * the same channel answered 200. Each missing step is a failure, named.
 */
function judgeRefused(rest: readonly JournalEntry[], evidence: Evidence[]): Verdict {
  const refused = rest[0];
  const { longestRun, token, failedTokens } = afterRefused(rest);
  evidence.push(...failedTokens.slice(0, 3).map(wnsEvidence));
  const fail = (summary: string): Verdict => verdict('fail', summary, evidence);
  if (longestRun > MAX_401_RUN)
    return fail(
      `${longestRun} pushes in a row were refused with 401 with no token request between`,
    );
  if (!token)
    return fail(
      failedTokens.length
        ? `The server's token requests after the 401 failed (${failedTokens[0]?.status})`
        : 'The server never refreshed its token after the 401',
    );
  evidence.push(wnsEvidence(token));
  const retry = rest.find(
    (e) => e.op === 'notify' && e.seq > token.seq && e.channelUri === refused?.channelUri,
  );
  if (!retry) return fail('The server took a new token but did not push again');
  evidence.push(wnsEvidence(retry));
  if (retry.status !== 200)
    return fail(`The push after the new token was answered ${retry.status}`);
  return verdict(
    'pass',
    'Refused with 401, the server took a new token and pushed again: 200',
    evidence,
  );
}

/**
 * `token-refresh-on-401`. When no push follows the revocation although the trigger ran, the
 * check fails: the same trigger led to a push before the revocation, so the server's silence (or
 * its trigger failing, as a trigger that pushes synchronously and meets the 401 may) is its
 * answer to the refused token. It is skipped only when no trigger ran after the revocation, or
 * when no push was refused (a server that takes a new token before pushing passes).
 */
function judgeTokenRefresh(recording: Recording): Verdict {
  const skip = withoutTrigger(recording);
  if (skip) return skip;
  const revoked = marksOf(recording, 'tokens-revoked')[0];
  const trigger = revoked && marksOf(recording, 'trigger').find((m) => m.time >= revoked.time);
  if (!revoked || !trigger) {
    const why = recording.aborted ?? 'no trigger ran after the tokens were revoked';
    return verdict('skip', `Nothing to judge: ${why}`);
  }
  const evidence: Evidence[] = [stepEvidence(revoked), stepEvidence(trigger)];
  const entries = journalFrom(recording, revoked.time);
  const first = entries.findIndex((e) => e.op === 'notify');
  const push = entries[first];
  if (!push) {
    const timeout = marksOf(recording, 'timeout').find((m) => m.time >= revoked.time);
    if (timeout) evidence.push(stepEvidence(timeout));
    const summary =
      trigger.ok === false
        ? `The trigger failed after the tokens were revoked (${trigger.detail ?? 'no detail'}) and no push followed`
        : 'The server sent no push after the trigger once its token was revoked';
    return verdict('fail', summary, evidence);
  }
  evidence.push(wnsEvidence(push));
  if (push.status === 401) return judgeRefused(entries.slice(first), evidence);
  const early = entries.slice(0, first).find((e) => e.op === 'token' && e.status === 200);
  if (early && push.status === 200)
    return verdict('pass', 'The server took a new token before its push: 200', [
      ...evidence,
      wnsEvidence(early),
    ]);
  const summary = `The first push after the revocation was not refused with 401 (${push.status})`;
  return verdict('skip', summary, evidence);
}

/** The first instant after `time` the device told the server a ChannelURI other than `uri`. */
function newUriReadAfter(recording: Recording, time: number, uri: string): number | null {
  const told = resultsFor(recording, 'Push/ChannelURI').find(
    (r) => r.exchange.time >= time && r.value !== '' && r.value !== uri,
  );
  return told ? told.exchange.time : null;
}

/** `gone-410-stops`. */
function judgeGone(recording: Recording): Verdict {
  const skip = withoutTrigger(recording);
  if (skip) return skip;
  const gone = notifies(recording).find((e) => e.status === 410 && !domainBlocked(e));
  if (!gone) {
    const why = recording.aborted ?? 'the server sent nothing to the expired channel';
    return verdict('skip', `No push was answered 410: ${why}`);
  }
  const uri = gone.channelUri ?? '';
  const readAt = newUriReadAfter(recording, gone.time, uri) ?? Infinity;
  const again = journalFrom(recording, gone.time).filter(
    (e) => e.op === 'notify' && e.seq > gone.seq && e.channelUri === uri && e.time < readAt,
  );
  const evidence = [wnsEvidence(gone), ...again.slice(0, 5).map(wnsEvidence)];
  if (again.length) {
    const before =
      readAt === Infinity ? 'without ever reading a new one' : 'before reading a new one';
    const summary = `After 410 the server pushed ${again.length} more time(s) to ${shortUri(uri)} ${before}`;
    return verdict('fail', summary, evidence);
  }
  return verdict(
    'pass',
    `After 410 the server sent nothing more to ${shortUri(uri)} until it read a new URI`,
    evidence,
  );
}

/** `throttle-406-backoff`. */
function judgeThrottle(recording: Recording): Verdict {
  const skip = withoutTrigger(recording);
  if (skip) return skip;
  const all = notifies(recording).sort((a, b) => a.seq - b.seq);
  const throttled = all.filter((e) => e.status === 406 && e.retryAfter !== undefined);
  if (!throttled.length) {
    const bare = all.some((e) => e.status === 406);
    const why = bare
      ? 'the 406 answers carried none'
      : (recording.aborted ?? 'no push was throttled');
    return verdict('skip', `No 406 with Retry-After to judge: ${why}`);
  }
  const early = throttled.flatMap((t) => {
    const next = all.find((e) => e.seq > t.seq && e.channelUri === t.channelUri);
    const waitMs = (t.retryAfter ?? 0) * 1000;
    return next && next.time < t.time + waitMs ? [{ t, next }] : [];
  });
  const firstEarly = early[0];
  if (!firstEarly) {
    const summary = `The server waited Retry-After after each of ${throttled.length} 406 answer(s)`;
    return verdict('pass', summary, throttled.slice(0, 6).map(wnsEvidence));
  }
  const { t, next } = firstEarly;
  const summary = `Pushed again after ${seconds(next.time - t.time)}; Retry-After was ${t.retryAfter} s (${early.length} of ${throttled.length} 406 answers not honoured)`;
  return verdict('fail', summary, [wnsEvidence(t), wnsEvidence(next)]);
}

/** The most entries of `times` (sorted) within any hour. */
function mostInAnHour(times: readonly number[]): number {
  let most = 0;
  let from = 0;
  times.forEach((time, i) => {
    while ((times[from] ?? time) <= time - HOUR) from++;
    most = Math.max(most, i - from + 1);
  });
  return most;
}

/** `no-push-storm`. */
function judgeStorm(recording: Recording): Verdict {
  const skip = withoutTrigger(recording);
  if (skip) return skip;
  const pushes = notifies(recording);
  if (!pushes.length && recording.aborted)
    return verdict('skip', `No push to judge: ${recording.aborted}`);
  const rejected = pushes.filter((e) => [404, 410, 406].includes(e.status));
  const perHour = mostInAnHour(rejected.map((e) => e.time));
  const perUri = new Map<string, number>();
  for (const e of rejected)
    perUri.set(e.channelUri ?? '?', (perUri.get(e.channelUri ?? '?') ?? 0) + 1);
  const [topUri, topCount] = [...perUri].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  const counts = `${rejected.length} rejected push(es), at most ${perHour} in an hour, ${topCount} to one URI`;
  const blocked = eventsOf(recording, 'wns.pfn-blocked')[0];
  const refused = pushes.find(domainBlocked);
  const evidence = [
    ...(blocked ? [deviceEvidence(blocked)] : []),
    ...(refused ? [wnsEvidence(refused)] : []),
    ...rejected.slice(0, 4).map(wnsEvidence),
  ];
  if (blocked || refused)
    return verdict('fail', `WNS blocked the PFN for misuse: ${counts}`, evidence);
  if (perHour >= CHECK_BLOCK_AFTER)
    return verdict('fail', `Enough rejected pushes to get the PFN blocked: ${counts}`, evidence);
  if (topCount >= WARN_PER_URI)
    return verdict(
      'warn',
      `The server keeps pushing to a rejected URI (${shortUri(topUri)}): ${counts}`,
      evidence,
    );
  return verdict('pass', rejected.length ? counts : 'No rejected push', evidence);
}

export const tokenRefreshCheck: CheckDefinition = {
  id: 'token-refresh-on-401',
  title: 'Takes a new token after a 401 and retries once',
  situation: 'token',
  needsTrigger: true,
  source: {
    quote:
      'Request a valid access token by authenticating your cloud service using the access token request.',
    ...HEADERS_PAGE,
  },
  judge: judgeTokenRefresh,
};

export const gone410Check: CheckDefinition = {
  id: 'gone-410-stops',
  title: 'Stops pushing to a channel answered 410',
  situation: 'expiry',
  needsTrigger: true,
  source: {
    quote:
      'Do not send further notifications to this channel. Have your app request a new channel URI.',
    ...HEADERS_PAGE,
  },
  judge: judgeGone,
};

export const throttleBackoffCheck: CheckDefinition = {
  id: 'throttle-406-backoff',
  title: 'Waits Retry-After after a 406',
  situation: 'throttle',
  needsTrigger: true,
  source: {
    quote: 'Please send your request after the Retry-After header value in the response',
    ...HEADERS_PAGE,
  },
  judge: judgeThrottle,
};

export const noPushStormCheck: CheckDefinition = {
  id: 'no-push-storm',
  title: 'Does not keep sending rejected pushes',
  situation: 'expiry',
  needsTrigger: true,
  source: {
    quote:
      'WNS reserves the right to block push notifications to your PFN if improper use of notifications is detected.',
    ...PUSH_PAGE,
  },
  judge: judgeStorm,
};
