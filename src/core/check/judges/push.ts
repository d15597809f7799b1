/**
 * The judges of the server's pushes in the lifecycle situation: their form (`push-format`) and
 * their caching (`cache-policy`); the chain from trigger to session is `push-session.ts`. Pure
 * functions of a {@link Recording}.
 *
 * @module
 */
import type { JournalEntry, NotifyRequestFacts, TokenRequestFacts } from '../../wns/journal.js';
import type { CheckDefinition, Evidence, Recording, Verdict } from '../model.js';
import { marksOf, notifies, notifyFacts, verdict, wnsEvidence } from '../recorded.js';
import { HEADERS_PAGE, PUSH_PAGE } from '../sources.js';

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
