/**
 * The judges of the server's pushes in the lifecycle situation: their form (`push-format`), the
 * chain from trigger to session (`push-wakes-session`) and their caching (`cache-policy`). Pure
 * functions of a {@link Recording}.
 *
 * @module
 */
import type { JournalEntry, NotifyRequestFacts, TokenRequestFacts } from '../../wns/journal.js';
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
  notifyFacts,
  stepEvidence,
  verdict,
  wnsEvidence,
} from '../recorded.js';

const PUSH_PAGE = {
  document: 'Push notification support for device management',
  url: 'https://learn.microsoft.com/windows/client-management/push-notification-windows-mdm',
} as const;
const HEADERS_PAGE = {
  document: 'Push notification service request and response headers (Windows Runtime apps)',
  url: 'https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers',
} as const;

/** The raw payload limit: "smaller than 5 KB"; WNS answers 413 over 5000 bytes. */
const RAW_MAX_BYTES = 5000;
/** A TTL under this many seconds is too short for a device that is briefly offline. */
const MIN_TTL_SECONDS = 60;
const UNCACHED =
  'WNS does not cache a raw notification for an offline device unless the header says cache';

/** One thing wrong (or doubtful) with a request, keyed by its kind. */
interface Finding {
  readonly key: string;
  readonly text: string;
  readonly entry: JournalEntry;
  readonly level: 'fail' | 'warn';
}

/** Each kind of finding once, with its first occurrence as evidence and how often it came. */
function grouped(findings: readonly Finding[]): { texts: string[]; evidence: Evidence[] } {
  const byKey = new Map<string, { first: Finding; count: number }>();
  for (const f of findings) {
    const seen = byKey.get(f.key);
    byKey.set(f.key, { first: seen?.first ?? f, count: (seen?.count ?? 0) + 1 });
  }
  const texts: string[] = [];
  const evidence: Evidence[] = [];
  for (const { first, count } of byKey.values()) {
    const times = count > 1 ? ` (${count} requests)` : '';
    texts.push(`${first.text}${times}`);
    const e = wnsEvidence(first.entry);
    evidence.push({ ...e, text: `${e.text}: ${first.text}` });
  }
  return { texts, evidence };
}

/** The skip of a check about pushes when the server sent none, saying whether it had a reason to. */
function noPushVerdict(recording: Recording): Verdict {
  const triggers = marksOf(recording, 'trigger');
  const why = !recording.triggers
    ? 'the run has no trigger (--trigger-cmd or --trigger-url), so the server had no reason to push'
    : triggers.length === 0
      ? 'the trigger never ran'
      : `although the trigger ran ${triggers.length === 1 ? 'once' : `${triggers.length} times`} (see push-wakes-session)`;
  const stopped = recording.aborted ? `; the situation stopped: ${recording.aborted}` : '';
  return verdict('skip', `no push was sent: ${why}${stopped}`);
}

/** What a token entry's sender asked for. */
function tokenFacts(entry: JournalEntry): TokenRequestFacts | undefined {
  return entry.op === 'token' ? (entry.request as TokenRequestFacts | undefined) : undefined;
}

const show = (value: string | undefined): string => (value === undefined ? 'absent' : `"${value}"`);
const lower = (value: string | undefined): string => (value ?? '').trim().toLowerCase();
const ENTRA_SCOPES = ['https://wns.windows.com/.default', 'https://wns.windows.com/.default/'];

/** A finding about `entry`. */
const finding =
  (entry: JournalEntry, level: Finding['level'] = 'fail') =>
  (key: string, text: string): Finding => ({ key, text, entry, level });

/** What is wrong with a token request: the grant type and the scope of its endpoint. */
function tokenFindings(entry: JournalEntry, facts: TokenRequestFacts): Finding[] {
  const wrong = finding(entry);
  const scope = lower(facts.scope);
  return [
    lower(facts.grantType) !== 'client_credentials' &&
      wrong('grant', `token grant_type ${show(facts.grantType)}, not client_credentials`),
    facts.endpoint === 'classic' &&
      scope !== 'notify.windows.com' &&
      wrong('scope', `classic token scope ${show(facts.scope)}, not notify.windows.com`),
    facts.endpoint === 'entra' &&
      !ENTRA_SCOPES.includes(scope) &&
      wrong('scope', `Entra token scope ${show(facts.scope)}, not ${ENTRA_SCOPES[0]}`),
  ].filter((f): f is Finding => f !== false);
}

/** What is wrong with a push: its type, its content type, its body's size. */
function notifyFindings(entry: JournalEntry, facts: NotifyRequestFacts): Finding[] {
  const wrong = finding(entry);
  const media = lower(facts.contentType?.split(';')[0]);
  return [
    lower(facts.type) !== 'wns/raw' && wrong('type', `X-WNS-Type ${show(facts.type)}, not wns/raw`),
    media !== 'application/octet-stream' &&
      wrong(
        'content-type',
        `Content-Type ${show(facts.contentType)}, not application/octet-stream`,
      ),
    facts.bytes <= 0 && wrong('empty', 'an empty body (a raw notification carries a payload)'),
    facts.bytes > RAW_MAX_BYTES &&
      wrong('size', `a body of ${facts.bytes} bytes, over the ${RAW_MAX_BYTES}-byte limit (413)`),
  ].filter((f): f is Finding => f !== false);
}

/** The pushes of the recording whose request facts were journalled. */
function pushes(recording: Recording): { entry: JournalEntry; facts: NotifyRequestFacts }[] {
  return notifies(recording).flatMap((entry) => {
    const facts = notifyFacts(entry);
    return facts ? [{ entry, facts }] : [];
  });
}

/** `push-format`: every token request and push as Microsoft documents them. */
function judgePushFormat(recording: Recording): Verdict {
  const tokens = recording.journal.flatMap((entry) => {
    const facts = tokenFacts(entry);
    return facts ? [{ entry, facts }] : [];
  });
  const sent = pushes(recording);
  const findings = [
    ...tokens.flatMap((t) => tokenFindings(t.entry, t.facts)),
    ...sent.flatMap((p) => notifyFindings(p.entry, p.facts)),
  ];
  if (findings.length > 0) {
    const { texts, evidence } = grouped(findings);
    return verdict('fail', texts.join('; '), evidence);
  }
  if (sent.length === 0) return noPushVerdict(recording);
  const endpoints = [...new Set(tokens.map((t) => t.facts.endpoint))].join(' and ');
  const sizes = sent.map((p) => p.facts.bytes);
  const range =
    Math.min(...sizes) === Math.max(...sizes)
      ? `${sizes[0]} bytes`
      : `${Math.min(...sizes)}–${Math.max(...sizes)} bytes`;
  const token = tokens.length ? `; ${tokens.length} ${endpoints} token request(s)` : '';
  return verdict(
    'pass',
    `${sent.length} push(es) as wns/raw, application/octet-stream, ${range}${token}`,
    [...tokens.slice(0, 1), ...sent.slice(0, 2)].map((x) => wnsEvidence(x.entry)),
  );
}

export const pushFormatCheck: CheckDefinition = {
  id: 'push-format',
  title: 'Sends raw pushes as WNS documents them',
  situation: 'lifecycle',
  needsTrigger: false,
  source: {
    quote: 'For raw notifications, this header must be set to application/octet-stream.',
    ...HEADERS_PAGE,
  },
  judge: judgePushFormat,
};

/** What a push asks of the cache: the policy and the TTL. */
function cacheFindings(entry: JournalEntry, facts: NotifyRequestFacts): Finding[] {
  const [wrong, doubtful] = [finding(entry), finding(entry, 'warn')];
  const policy = lower(facts.cachePolicy);
  const ttl = facts.ttl?.trim();
  return [
    facts.cachePolicy === undefined &&
      doubtful('policy-absent', `no X-WNS-Cache-Policy: ${UNCACHED}`),
    policy === 'no-cache' &&
      doubtful(
        'no-cache',
        'X-WNS-Cache-Policy: no-cache: an offline device never learns it was wanted',
      ),
    facts.cachePolicy !== undefined &&
      !['cache', 'no-cache'].includes(policy) &&
      wrong(
        'policy-bad',
        `X-WNS-Cache-Policy ${show(facts.cachePolicy)}, neither cache nor no-cache`,
      ),
    ttl !== undefined &&
      !/^\d+$/.test(ttl) &&
      wrong('ttl-bad', `X-WNS-TTL ${show(facts.ttl)}, not a whole number of seconds`),
    ttl !== undefined &&
      /^\d+$/.test(ttl) &&
      Number(ttl) < MIN_TTL_SECONDS &&
      doubtful('ttl-short', `X-WNS-TTL ${ttl} s: too short for a device that is briefly offline`),
  ].filter((f): f is Finding => f !== false);
}

/** `cache-policy`: pushes ask WNS to cache them for an offline device, with a sensible TTL. */
function judgeCachePolicy(recording: Recording): Verdict {
  const sent = pushes(recording);
  if (sent.length === 0) return noPushVerdict(recording);
  const findings = sent.flatMap((p) => cacheFindings(p.entry, p.facts));
  if (findings.length > 0) {
    const result = findings.some((f) => f.level === 'fail') ? 'fail' : 'warn';
    const { texts, evidence } = grouped(findings);
    return verdict(result, texts.join('; '), evidence);
  }
  const ttls = [...new Set(sent.map((p) => p.facts.ttl?.trim() ?? 'none'))];
  const ttl = ttls.length === 1 && ttls[0] === 'none' ? 'no TTL' : `TTL ${ttls.join(', ')}`;
  return verdict(
    'pass',
    `${sent.length} push(es) with X-WNS-Cache-Policy: cache, ${ttl}`,
    sent.slice(0, 2).map((p) => wnsEvidence(p.entry)),
  );
}

export const cachePolicyCheck: CheckDefinition = {
  id: 'cache-policy',
  title: 'Asks WNS to cache pushes for an offline device',
  situation: 'lifecycle',
  needsTrigger: false,
  source: {
    quote:
      'To ensure your notification is cached for delivery, set the X-WNS-Cache-Policy header to Cache.',
    ...PUSH_PAGE,
  },
  judge: judgeCachePolicy,
};

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
