import { describe, expect, it } from 'vitest';
import {
  gone410Check,
  noPushStormCheck,
  throttleBackoffCheck,
  tokenRefreshCheck,
} from '../../src/core/check/judges/wns-answers.js';
import type { Mark } from '../../src/core/check/model.js';
import type { JournalEntry } from '../../src/core/wns/journal.js';
import {
  HOUR,
  MINUTE,
  PFN,
  T0,
  event,
  exchange,
  get,
  journal,
  mark,
  message,
  node,
  recording,
  results,
  status,
} from '../helpers/check-recordings.js';

const URI = 'https://wns.example/w/one?token=AAA';
const NEW = 'https://wns.example/w/two?token=BBB';

/** A push to `uri` answered `code` at `time`. */
const push = (time: number, code: number, fields: Partial<JournalEntry> = {}): JournalEntry =>
  journal(time, { op: 'notify', status: code, channelUri: URI, pfn: PFN, ...fields });
const token = (time: number, code = 200): JournalEntry =>
  journal(time, { op: 'token', status: code, pfn: PFN });

describe('token-refresh-on-401', () => {
  const judge = tokenRefreshCheck.judge;
  const REV = T0 + HOUR;
  /** The token situation after bring-up: the revocation, the trigger and what followed. */
  const tokenRun = (entries: JournalEntry[], marks: Mark[] = []) =>
    recording('token', {
      journal: [push(T0 + 10 * MINUTE, 200), ...entries],
      marks: [
        mark(REV, 'tokens-revoked'),
        mark(REV + 1000, 'trigger', { ok: true, realMs: 30 }),
        ...marks,
      ],
    });

  it('passes on 401, a new token, then one push answered 200', () => {
    const v = judge(tokenRun([push(REV + 2000, 401), token(REV + 2100), push(REV + 2200, 200)]));
    expect(v.result).toBe('pass');
    expect(v.evidence.map((e) => e.text)).toContain('token request → 200');
  });

  it('fails when the server never asks for a new token', () => {
    const v = judge(tokenRun([push(REV + 2000, 401)]));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('never refreshed its token');
  });

  it('fails when 401s repeat more than twice with no token request between', () => {
    const entries = [401, 401, 401].map((c, i) => push(REV + 2000 + i, c));
    const v = judge(tokenRun([...entries, token(REV + 3000), push(REV + 3100, 200)]));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('3 pushes in a row');
  });

  it('accepts two 401s when a token request comes between them', () => {
    const entries = [push(REV + 2000, 401), token(REV + 2100, 400), push(REV + 2200, 401)];
    const v = judge(tokenRun([...entries, token(REV + 2300), push(REV + 2400, 200)]));
    expect(v.result).toBe('pass');
  });

  it('fails when the server takes a token but does not push again', () => {
    const v = judge(tokenRun([push(REV + 2000, 401), token(REV + 2100)]));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('did not push again');
  });

  it('fails when no push follows the trigger', () => {
    const timeout = mark(REV + 60_000, 'timeout', { detail: 'a push answered 200' });
    const v = judge(tokenRun([], [timeout]));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('sent no push after the trigger');
    expect(v.evidence.some((e) => e.text.startsWith('timeout'))).toBe(true);
  });

  it('fails naming the trigger when it failed and no push followed', () => {
    const r = recording('token', {
      marks: [
        mark(REV, 'tokens-revoked'),
        mark(REV + 1000, 'trigger', { ok: false, detail: 'exit code 1' }),
      ],
    });
    const v = judge(r);
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('The trigger failed');
    expect(v.summary).toContain('exit code 1');
  });

  it('skips without a trigger', () => {
    expect(judge(recording('token', { triggers: false })).result).toBe('skip');
  });

  it('skips when the situation stopped before the revocation', () => {
    const v = judge(recording('token', { aborted: 'the server never set Push/PFN' }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('never set Push/PFN');
  });
});

describe('gone-410-stops', () => {
  const judge = gone410Check.judge;
  const GONE = T0 + 2 * HOUR;
  /** The device tells the server the new URI at `at`. */
  const newUriRead = (at: number) => [
    exchange(
      at,
      message('device', '1', [], '5'),
      message('server', '1', [get('2', node('Push/ChannelURI'))], '5'),
    ),
    exchange(
      at + 1000,
      message('device', '2', [results('2', '1', '2', node('Push/ChannelURI'), NEW)], '5'),
      message('server', '2', [status('1', '2', '0', 'SyncHdr')], '5'),
    ),
  ];

  it('passes when nothing more goes to the URI until a new one was read', () => {
    const READ = GONE + HOUR;
    const r = recording('expiry', {
      journal: [
        push(GONE, 410, { description: 'the channel expired' }),
        push(READ + 5000, 200, { channelUri: NEW }),
      ],
      syncml: newUriRead(READ),
    });
    const v = judge(r);
    expect(v.result).toBe('pass');
  });

  it('fails when the server pushes to the URI again before reading a new one', () => {
    const READ = GONE + HOUR;
    const r = recording('expiry', {
      journal: [
        push(GONE, 410, { description: 'the channel expired' }),
        push(GONE + 30_000, 410),
        push(GONE + 60_000, 410),
        push(READ + 5000, 200, { channelUri: NEW }),
      ],
      syncml: newUriRead(READ),
    });
    const v = judge(r);
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('2 more time(s)');
    expect(v.summary).toContain('before reading a new one');
    expect(v.evidence).toHaveLength(3);
  });

  it('skips when no push was answered 410', () => {
    const v = judge(recording('expiry', { journal: [push(GONE, 200)] }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('sent nothing to the expired channel');
  });

  it('does not take a Domain Blocked 410 for an expired channel', () => {
    const blocked = push(GONE, 410, { description: 'Domain Blocked: the PFN is blocked' });
    expect(judge(recording('expiry', { journal: [blocked] })).result).toBe('skip');
  });

  it('skips without a trigger', () => {
    expect(judge(recording('expiry', { triggers: false, journal: [push(GONE, 410)] })).result).toBe(
      'skip',
    );
  });
});

describe('throttle-406-backoff', () => {
  const judge = throttleBackoffCheck.judge;
  const t = T0 + HOUR;
  const throttled = () => [
    push(t - 2000, 200),
    push(t - 1000, 200),
    push(t, 406, { retryAfter: 5, notificationStatus: 'channelthrottled' }),
  ];

  it('passes when the next push waits Retry-After', () => {
    const v = judge(recording('throttle', { journal: [...throttled(), push(t + 6000, 200)] }));
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('1 406 answer(s)');
  });

  it('fails naming the gap when the next push comes too early', () => {
    const v = judge(
      recording('throttle', { journal: [...throttled(), push(t + 200, 406, { retryAfter: 5 })] }),
    );
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('Pushed again after 0.2 s; Retry-After was 5 s');
  });

  it('judges each channel on its own', () => {
    const other = push(t + 200, 200, { channelUri: NEW });
    expect(judge(recording('throttle', { journal: [...throttled(), other] })).result).toBe('pass');
  });

  it('skips, saying so, when the 406 answers carried no Retry-After', () => {
    const v = judge(recording('throttle', { journal: [push(t, 406), push(t + 100, 406)] }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('the 406 answers carried none');
  });

  it('skips when no push was throttled', () => {
    const v = judge(recording('throttle', { journal: [push(t, 200)] }));
    expect(v.result).toBe('skip');
  });
});

describe('no-push-storm', () => {
  const judge = noPushStormCheck.judge;
  const t = T0 + HOUR;

  it('passes with the counts when few pushes are rejected', () => {
    const v = judge(
      recording('expiry', { journal: [push(t, 410), push(t + 1000, 200, { channelUri: NEW })] }),
    );
    expect(v.result).toBe('pass');
    expect(v.summary).toBe('1 rejected push(es), at most 1 in an hour, 1 to one URI');
  });

  it('fails when 30 rejected pushes fall within an hour', () => {
    const storm = Array.from({ length: 30 }, (_, i) => push(t + i * MINUTE, 410));
    const v = judge(recording('expiry', { journal: storm }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('at most 30 in an hour');
  });

  it('warns from 10 rejections to one URI spread over hours', () => {
    const slow = Array.from({ length: 10 }, (_, i) => push(t + i * HOUR, 404));
    const v = judge(recording('expiry', { journal: slow }));
    expect(v.result).toBe('warn');
    expect(v.summary).toContain('at most 1 in an hour, 10 to one URI');
  });

  it('fails when WNS blocked the PFN', () => {
    const r = recording('expiry', {
      journal: [push(t, 410)],
      timeline: [event(t + 1000, { type: 'wns.pfn-blocked', device: null, pfn: PFN })],
    });
    const v = judge(r);
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('blocked the PFN');
  });

  it('fails on a push answered Domain Blocked', () => {
    const r = recording('expiry', {
      journal: [push(t, 403, { description: 'Domain Blocked: misuse' })],
    });
    expect(judge(r).result).toBe('fail');
  });

  it('skips without a trigger', () => {
    expect(judge(recording('expiry', { triggers: false })).result).toBe('skip');
  });
});
