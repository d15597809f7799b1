/**
 * The judges of the lifecycle situation on hand-built recordings: a good server's run, then one
 * mistake at a time.
 */
import { describe, expect, it } from 'vitest';
import { pollScheduleCheck } from '../../src/core/check/judges/poll.js';
import {
  channelReadCheck,
  pfnSetCheck,
  statusReadCheck,
} from '../../src/core/check/judges/provisioning.js';
import { cachePolicyCheck, pushFormatCheck } from '../../src/core/check/judges/push.js';
import { pushWakesSessionCheck } from '../../src/core/check/judges/push-session.js';
import type { Mark, Recording, SyncMLExchange } from '../../src/core/check/model.js';
import type { Command } from '../../src/core/syncml/message.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import type { JournalEntry, NotifyRequestFacts } from '../../src/core/wns/journal.js';
import {
  DAY,
  DEVICE,
  DEVID,
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
  replace,
  results,
  status,
} from '../helpers/check-recordings.js';

const URI = 'https://wns.example/w/?token=AQE-lifecycle';
const TRIGGER = T0 + HOUR;
const PUSH = TRIGGER + 1200;
const hdr = (msgRef: string): Command => status('1', msgRef, '0', 'SyncHdr');
const alert: Command = { kind: 'Alert', cmdId: '1', data: '1201', items: [] };

/** How the server under test behaves; each field one possible mistake. */
interface Behaviour {
  /** The PFN it sets in the bring-up session (null: none). */
  readonly pfn?: string | null;
  /** Where it reads Push/ChannelURI and Push/Status: in the session after the channel, in the bring-up message, or never. */
  readonly reads?: 'provisioned' | 'bring-up' | 'never';
  /** What the device answers to the reads: its Results, or a 404 Status. */
  readonly answer?: 'results' | '404';
  /** The facts of its push (null: no push). */
  readonly push?: Partial<NotifyRequestFacts> | null;
  readonly pushStatus?: number;
  /** How far the device's side of the chain goes after the push. */
  readonly chain?: 'complete' | 'not-received' | 'no-session' | 'session-failed';
  readonly trigger?: Partial<Mark> | null;
  readonly triggers?: boolean;
  readonly aborted?: string;
  /** Poll sessions after bring-up. */
  readonly polls?: number;
}

const GOOD_PUSH: NotifyRequestFacts = {
  type: 'wns/raw',
  contentType: 'application/octet-stream',
  cachePolicy: 'cache',
  ttl: '86400',
  bytes: 4,
};

/** The bring-up session: the server's first answer sets the PFN (and reads, if `bring-up`). */
function bringUp(b: Behaviour): SyncMLExchange[] {
  const reads =
    b.reads === 'bring-up' ? [get('3', node('Push/ChannelURI'), node('Push/Status'))] : [];
  const set = b.pfn === null ? [] : [replace('2', node('Push/PFN'), b.pfn ?? PFN)];
  const first = exchange(
    T0 + 1000,
    message('device', '1', [alert]),
    message('server', '1', [hdr('1'), ...set, ...reads]),
  );
  const answers: Command[] =
    b.reads === 'bring-up'
      ? [
          results('4', '1', '3', node('Push/ChannelURI'), ''),
          results('5', '1', '3', node('Push/Status'), '4'),
        ]
      : [];
  const second = exchange(
    T0 + 2000,
    message('device', '2', [
      hdr('1'),
      ...(set.length ? [status('3', '1', '2', 'Replace')] : []),
      ...answers,
    ]),
    message('server', '2', [hdr('2')]),
  );
  return [first, second];
}

/** The session the new channel starts: the server reads ChannelURI and Status. */
function provisioned(b: Behaviour): SyncMLExchange[] {
  const extra = { trigger: 'provisioned' };
  const reads =
    b.reads === 'provisioned' ? [get('2', node('Push/ChannelURI'), node('Push/Status'))] : [];
  const answers: Command[] =
    b.answer === '404'
      ? [status('2', '1', '2', 'Get', '404')]
      : [
          status('2', '1', '2', 'Get'),
          results('3', '1', '2', node('Push/ChannelURI'), URI),
          results('4', '1', '2', node('Push/Status'), '0'),
        ];
  return [
    exchange(
      T0 + 6000,
      message('device', '1', [alert], '2'),
      message('server', '1', [hdr('1'), ...reads], '2'),
      extra,
    ),
    exchange(
      T0 + 7000,
      message('device', '2', [hdr('1'), ...(reads.length ? answers : [])], '2'),
      message('server', '2', [hdr('2')], '2'),
      extra,
    ),
  ];
}

/** The device's side after a push: received, session, the session's exchange. */
function chain(b: Behaviour): { timeline: TimelineEvent[]; syncml: SyncMLExchange[] } {
  const how = b.chain ?? 'complete';
  if (how === 'not-received') {
    return {
      timeline: [
        event(PUSH + 50, { type: 'push.dropped', msgId: 'M1', channelUri: URI, reason: 'offline' }),
      ],
      syncml: [],
    };
  }
  const timeline = [
    event(PUSH + 100, {
      type: 'push.received',
      msgId: 'M1',
      channelUri: URI,
      cached: false,
      priority: 3,
    }),
  ];
  if (how === 'no-session') {
    timeline.push(
      event(PUSH + 150, { type: 'session.skipped', trigger: 'push', reason: 'battery-saver' }),
    );
    return { timeline, syncml: [] };
  }
  timeline.push(event(PUSH + 200, { type: 'session.started', trigger: 'push' }));
  const x = exchange(
    PUSH + 800,
    message('device', '1', [alert], '3'),
    message('server', '1', [hdr('1')], '3'),
    {
      trigger: 'push',
    },
  );
  timeline.push(
    how === 'session-failed'
      ? event(PUSH + 900, { type: 'session.failed', trigger: 'push', reason: 'HTTP 500' })
      : event(PUSH + 900, { type: 'session.completed', trigger: 'push' }),
  );
  return { timeline, syncml: [x] };
}

/** A lifecycle recording of a server behaving as `b` says (a good server by default). */
function lifecycle(b: Behaviour = {}): Recording {
  const channel = b.pfn === undefined || b.pfn === PFN;
  const timeline: TimelineEvent[] = [event(T0, { type: 'session.started', trigger: 'poll' })];
  if (b.pfn !== null)
    timeline.push(event(T0 + 3000, { type: 'channel.requested', reason: 'provisioned' }));
  if (channel) {
    timeline.push(
      event(T0 + 4000, { type: 'channel.issued', channelUri: URI, expiresAt: T0 + 30 * DAY }),
      event(T0 + 4000, { type: 'push.status', status: 0 }),
      event(T0 + 5000, { type: 'session.started', trigger: 'provisioned' }),
    );
  } else if (b.pfn !== null) {
    timeline.push(event(T0 + 4000, { type: 'channel.request-failed', reason: 'invalid-pfn' }));
  }
  const syncml = [...bringUp(b), ...(channel ? provisioned({ reads: 'provisioned', ...b }) : [])];
  const entries: JournalEntry[] = [];
  const marks: Mark[] = [];
  if (b.trigger !== null && (b.triggers ?? true)) {
    marks.push(mark(TRIGGER, 'trigger', { ok: true, realMs: 350, ...b.trigger }));
  }
  if (b.push !== null && marks[0]?.ok !== false) {
    const request = {
      endpoint: 'classic' as const,
      grantType: 'client_credentials',
      scope: 'notify.windows.com',
    };
    entries.push(journal(PUSH - 1000, { op: 'token', status: 200, request }));
    const pushStatus = b.pushStatus ?? 200;
    const push = { ...GOOD_PUSH, ...b.push };
    entries.push(
      journal(PUSH, {
        op: 'notify',
        status: pushStatus,
        channelUri: URI,
        msgId: 'M1',
        request: push,
      }),
    );
    if (pushStatus === 200) {
      const after = chain(b);
      timeline.push(...after.timeline);
      syncml.push(...after.syncml);
    }
  }
  for (let i = 1; i <= (b.polls ?? 2); i++) {
    timeline.push(event(T0 + i * 15 * MINUTE, { type: 'session.started', trigger: 'poll' }));
  }
  return recording('lifecycle', {
    syncml,
    journal: entries,
    timeline,
    marks,
    triggers: b.triggers ?? true,
    ...(b.aborted ? { aborted: b.aborted } : {}),
  });
}

/** A good recording with its journal's notify facts changed. */
const withPush = (push: Partial<NotifyRequestFacts>): Recording => lifecycle({ push });

describe('the lifecycle checks', () => {
  it('are defined for the lifecycle situation, with a sourced quote', () => {
    const checks = [
      pfnSetCheck,
      channelReadCheck,
      statusReadCheck,
      pushFormatCheck,
      pushWakesSessionCheck,
      cachePolicyCheck,
      pollScheduleCheck,
    ];
    expect(checks.map((c) => c.id)).toEqual([
      'pfn-set',
      'channel-read',
      'status-read',
      'push-format',
      'push-wakes-session',
      'cache-policy',
      'poll-schedule',
    ]);
    for (const c of checks) {
      expect(c.situation).toBe('lifecycle');
      expect(c.source.url).toMatch(/^https:\/\/learn\.microsoft\.com\//);
      expect(c.source.quote.length).toBeGreaterThan(20);
    }
    expect(checks.filter((c) => c.needsTrigger).map((c) => c.id)).toEqual(['push-wakes-session']);
  });

  it('all pass on a good server', () => {
    const r = lifecycle();
    for (const c of [
      pfnSetCheck,
      channelReadCheck,
      statusReadCheck,
      pushFormatCheck,
      pushWakesSessionCheck,
      cachePolicyCheck,
      pollScheduleCheck,
    ]) {
      expect({ id: c.id, result: c.judge(r).result }).toEqual({ id: c.id, result: 'pass' });
    }
  });
});

describe('pfn-set', () => {
  const judge = pfnSetCheck.judge;

  it('passes with the app PFN and a channel, showing the device’s answer to the set', () => {
    const v = judge(lifecycle());
    expect(v.result).toBe('pass');
    expect(v.evidence[0]?.text).toContain('Push/PFN');
    expect(v.evidence[0]?.text).toContain('device answered 200');
    expect(v.evidence.map((e) => e.text).join('\n')).toContain('channel.issued');
  });

  it('fails when the server never set Push/PFN, also on an aborted situation', () => {
    expect(judge(lifecycle({ pfn: null })).summary).toBe('the server never set Push/PFN');
    const v = judge(lifecycle({ pfn: null, aborted: 'no PFN within the bring-up hour' }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('no PFN within the bring-up hour');
  });

  it('fails naming another PFN, with the device’s invalid-pfn as evidence', () => {
    const v = judge(lifecycle({ pfn: 'Fabrikam.Other_1234' }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('"Fabrikam.Other_1234"');
    expect(v.summary).toContain(PFN);
    expect(v.evidence.some((e) => e.text.includes('reason=invalid-pfn'))).toBe(true);
  });

  it('fails when the PFN was right but no channel came', () => {
    const r = lifecycle();
    const noChannel: Recording = {
      ...r,
      timeline: r.timeline.filter((e) => e.type !== 'channel.issued' && e.type !== 'push.status'),
    };
    const v = judge(noChannel);
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('no channel');
  });
});

describe('channel-read', () => {
  const judge = channelReadCheck.judge;

  it('passes when read in the session after the channel, the Results carrying the URI', () => {
    const v = judge(lifecycle());
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('session 2');
    expect(v.evidence.map((e) => e.text)).toContain(
      `device's Results: Push/ChannelURI = ${URI} (session 2 msg 2)`,
    );
  });

  it('fails when read only before the channel existed', () => {
    const v = judge(lifecycle({ reads: 'bring-up' }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('only before the device had a channel');
  });

  it('fails when never read', () => {
    expect(judge(lifecycle({ reads: 'never' })).summary).toBe(
      'the server never read Push/ChannelURI',
    );
  });

  it('fails when the device did not answer the read with its channel', () => {
    const v = judge(lifecycle({ answer: '404' }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('not answered');
    expect(v.evidence.some((e) => e.text.includes('device answered 404'))).toBe(true);
  });

  it('skips when no PFN was set, pointing to pfn-set', () => {
    const v = judge(lifecycle({ pfn: null, aborted: 'no PFN' }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('pfn-set');
    expect(v.summary).toContain('never set Push/PFN');
  });

  it('skips naming the wrong PFN when no channel came', () => {
    const v = judge(lifecycle({ pfn: 'Fabrikam.Other_1234' }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('Fabrikam.Other_1234');
  });
});

describe('status-read', () => {
  const judge = statusReadCheck.judge;

  it('passes when read after the PFN was set, with the device’s value', () => {
    const v = judge(lifecycle());
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('the device answered 0');
  });

  it('passes when read in the same message, after the set', () => {
    const v = judge(lifecycle({ reads: 'bring-up' }));
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('the device answered 4');
  });

  it('fails when never read', () => {
    const v = judge(lifecycle({ reads: 'never' }));
    expect(v.result).toBe('fail');
    expect(v.summary).toBe('the server never read Push/Status after setting Push/PFN');
  });

  it('fails when read only before the PFN was set', () => {
    const r = lifecycle({ reads: 'never' });
    const early = exchange(
      T0 + 500,
      message('device', '1', [alert], '0'),
      message('server', '1', [hdr('1'), get('2', node('Push/Status'))], '0'),
    );
    expect(judge({ ...r, syncml: [early, ...r.syncml] }).result).toBe('fail');
  });

  it('skips when the server never set a PFN', () => {
    const v = judge(lifecycle({ pfn: null }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('pfn-set');
  });
});

describe('push-format', () => {
  const judge = pushFormatCheck.judge;

  it('passes a documented token and raw push', () => {
    const v = judge(lifecycle());
    expect(v.result).toBe('pass');
    expect(v.summary).toBe(
      '1 push(es) as wns/raw, application/octet-stream, 4 bytes; 1 classic token request(s)',
    );
  });

  it.each([
    [{ type: 'wns/toast' }, 'X-WNS-Type "wns/toast", not wns/raw'],
    [{ type: undefined }, 'X-WNS-Type absent, not wns/raw'],
    [{ contentType: 'text/xml' }, 'Content-Type "text/xml", not application/octet-stream'],
    [{ bytes: 0 }, 'an empty body'],
    [{ bytes: 5001 }, 'a body of 5001 bytes, over the 5000-byte limit (413)'],
  ])('fails a push with %o', (push, named) => {
    const v = withPush(push);
    const verdict = judge(v);
    expect(verdict.result).toBe('fail');
    expect(verdict.summary).toContain(named);
    expect(verdict.evidence[0]?.text).toContain(named);
  });

  it('accepts a body of exactly 5000 bytes and a content type with parameters', () => {
    expect(
      judge(withPush({ bytes: 5000, contentType: 'application/octet-stream; x=1' })).result,
    ).toBe('pass');
  });

  /** A good recording whose token request asked for `request`. */
  const withToken = (request: JournalEntry['request']): Recording => {
    const r = lifecycle();
    return { ...r, journal: r.journal.map((e) => (e.op === 'token' ? { ...e, request } : e)) };
  };

  it.each([
    [
      { endpoint: 'classic', grantType: 'password', scope: 'notify.windows.com' },
      'grant_type "password"',
    ],
    [
      { endpoint: 'classic', grantType: 'client_credentials', scope: 's.notify.live.net' },
      'classic token scope "s.notify.live.net"',
    ],
    [
      { endpoint: 'entra', grantType: 'client_credentials', scope: 'notify.windows.com' },
      'Entra token scope "notify.windows.com"',
    ],
  ] as const)('fails a token request %o', (request, named) => {
    const v = judge(withToken(request));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain(named);
  });

  it.each(['https://wns.windows.com/.default', 'https://wns.windows.com/.default/'])(
    'accepts the Entra scope %s',
    (scope) => {
      const v = judge(withToken({ endpoint: 'entra', grantType: 'client_credentials', scope }));
      expect(v.result).toBe('pass');
      expect(v.summary).toContain('1 entra token request(s)');
    },
  );

  it('names each kind of violation once, with how many requests had it', () => {
    const r = withPush({ type: 'wns/tile', contentType: 'text/xml' });
    const notify = r.journal.find((e) => e.op === 'notify') as JournalEntry;
    const twice = { ...r, journal: [...r.journal, { ...notify, seq: 99, time: notify.time + 10 }] };
    const v = judge(twice);
    expect(v.summary).toBe(
      'X-WNS-Type "wns/tile", not wns/raw (2 requests); Content-Type "text/xml", not application/octet-stream (2 requests)',
    );
    expect(v.evidence).toHaveLength(2);
  });

  it('skips when no push was sent, saying whether there was a trigger', () => {
    const ran = judge(lifecycle({ push: null }));
    expect(ran.result).toBe('skip');
    expect(ran.summary).toContain('although the trigger ran once');
    const none = judge(lifecycle({ push: null, triggers: false }));
    expect(none.result).toBe('skip');
    expect(none.summary).toContain('the run has no trigger');
  });

  it('fails a bad token request even when no push followed', () => {
    const r = withToken({ endpoint: 'classic', grantType: 'client_credentials', scope: 'wrong' });
    const v = judge({ ...r, journal: r.journal.filter((e) => e.op === 'token') });
    expect(v.result).toBe('fail');
  });
});

describe('push-wakes-session', () => {
  const judge = pushWakesSessionCheck.judge;

  it('passes and reports trigger→push and push→session times', () => {
    const v = judge(lifecycle());
    expect(v.result).toBe('pass');
    expect(v.summary).toBe(
      'trigger→push 1.2 s (the trigger itself took 350 ms), push→session 800 ms',
    );
    expect(v.evidence.map((e) => e.text)).toContain('push session 3 msg 1 → HTTP 200');
  });

  it('skips without a trigger', () => {
    const v = judge(lifecycle({ triggers: false, push: null }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('no trigger');
  });

  it('skips when the situation stopped before the trigger', () => {
    const v = judge(lifecycle({ trigger: null, push: null, pfn: null, aborted: 'no PFN' }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('no PFN');
  });

  it('fails when the trigger failed', () => {
    const v = judge(lifecycle({ trigger: { ok: false, detail: 'exit code 2' } }));
    expect(v.result).toBe('fail');
    expect(v.summary).toBe('the trigger failed: exit code 2');
  });

  it('fails when no push came within the wait', () => {
    const r = lifecycle({ push: null });
    const timeout = mark(TRIGGER + 30_000, 'timeout', { detail: 'a push to the device' });
    const v = judge({ ...r, marks: [...r.marks, timeout] });
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('no push to the device');
    expect(v.evidence.some((e) => e.text.startsWith('timeout'))).toBe(true);
  });

  it('fails when WNS rejected the push', () => {
    const v = judge(lifecycle({ pushStatus: 403 }));
    expect(v.result).toBe('fail');
    expect(v.summary).toBe('the push was rejected: 403');
  });

  it('fails when the server pushed only to another URI', () => {
    const r = lifecycle();
    const moved = r.journal.map((e) =>
      e.op === 'notify' ? { ...e, channelUri: 'https://wns.example/w/?token=OTHER' } : e,
    );
    const v = judge({ ...r, journal: moved });
    expect(v.result).toBe('fail');
    expect(v.summary).toBe(
      "no push to the device's channel within the wait after the trigger; it pushed to another URI",
    );
  });

  it('passes when a rejected push is sent again and accepted', () => {
    const r = lifecycle();
    const notify = r.journal.find((e) => e.op === 'notify') as JournalEntry;
    const rejected = { ...notify, seq: 98, time: notify.time - 100, status: 401 };
    expect(
      judge({ ...r, journal: [...r.journal, rejected].sort((a, b) => a.time - b.time) }).result,
    ).toBe('pass');
  });

  it.each([
    ['not-received', 'WNS accepted the push but the device never received it'],
    ['no-session', 'the device received the push but started no session'],
    ['session-failed', 'the push session failed: HTTP 500'],
  ] as const)('fails naming the first missing link (%s)', (how, summary) => {
    const v = judge(lifecycle({ chain: how }));
    expect(v.result).toBe('fail');
    expect(v.summary).toBe(summary);
  });
});

describe('cache-policy', () => {
  const judge = cachePolicyCheck.judge;

  it('passes cache with a day’s TTL, and cache without TTL', () => {
    expect(judge(lifecycle()).summary).toBe('1 push(es) with X-WNS-Cache-Policy: cache, TTL 86400');
    const noTtl = judge(withPush({ ttl: undefined }));
    expect(noTtl.result).toBe('pass');
    expect(noTtl.summary).toContain('no TTL');
  });

  it.each([
    [{ cachePolicy: 'no-cache' }, 'an offline device never learns it was wanted'],
    [{ cachePolicy: undefined }, 'no X-WNS-Cache-Policy'],
    [{ ttl: '30' }, 'X-WNS-TTL 30 s: too short'],
  ])('warns on %o', (push, named) => {
    const v = judge(withPush(push));
    expect(v.result).toBe('warn');
    expect(v.summary).toContain(named);
  });

  it.each([
    [{ ttl: 'soon' }, 'X-WNS-TTL "soon", not a whole number of seconds'],
    [{ ttl: '-5' }, 'X-WNS-TTL "-5"'],
    [{ ttl: '1.5' }, 'X-WNS-TTL "1.5"'],
    [{ cachePolicy: 'always' }, 'neither cache nor no-cache'],
  ])('fails on %o', (push, named) => {
    const v = judge(withPush(push));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain(named);
  });

  it('accepts a TTL of exactly 60 s', () => {
    expect(judge(withPush({ ttl: '60' })).result).toBe('pass');
  });

  it('skips when no push was sent', () => {
    expect(judge(lifecycle({ push: null })).result).toBe('skip');
  });
});

describe('poll-schedule', () => {
  const judge = pollScheduleCheck.judge;
  const withPoll = (
    first: [number, number],
    second: [number, number],
    remaining: [number, number],
    polls = 2,
  ): Recording => ({
    ...lifecycle({ polls }),
    devices: [
      {
        id: DEVICE,
        devId: DEVID,
        poll: {
          first: { intervalMinutes: first[0], count: first[1] },
          second: { intervalMinutes: second[0], count: second[1] },
          remaining: { intervalMinutes: remaining[0], count: remaining[1] },
          maintenanceTime: '02:00',
        },
      },
    ],
  });

  it('passes the default schedule, in words', () => {
    const v = judge(lifecycle());
    expect(v.result).toBe('pass');
    expect(v.summary).toBe(
      'every 15 min ×10, then daily at 02:00 (maintenance window); 2 poll sessions in the day',
    );
  });

  it('passes an Intune-like schedule', () => {
    const v = judge(withPoll([3, 5], [15, 8], [480, 0]));
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('every 3 min ×5, then every 15 min ×8, then every 8 h forever');
  });

  it('warns on a one-minute infinite poll, with the load for 10,000 devices', () => {
    const v = judge(withPoll([1, 0], [0, 0], [0, 0]));
    expect(v.result).toBe('warn');
    expect(v.summary).toContain(
      'every 1 min forever: 14,400,000 sessions a day for 10,000 devices',
    );
  });

  it('warns below an hour, passes at an hour', () => {
    expect(judge(withPoll([15, 4], [59, 0], [0, 0])).result).toBe('warn');
    expect(judge(withPoll([15, 4], [60, 0], [0, 0])).result).toBe('pass');
  });

  it('fails when the device made no poll session after bring-up', () => {
    const v = judge(lifecycle({ polls: 0 }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('no poll session');
  });

  it('shows the server’s Poll commands as evidence', () => {
    const r = lifecycle();
    const set = exchange(
      T0 + 1500,
      message('device', '1', [alert], '9'),
      message('server', '1', [hdr('1'), replace('2', node('Poll/NumberOfFirstRetries'), '0')], '9'),
    );
    const v = judge({ ...r, syncml: [...r.syncml, set] });
    expect(v.evidence.some((e) => e.text.includes('Poll/NumberOfFirstRetries = 0'))).toBe(true);
  });

  it('skips an aborted situation', () => {
    const v = judge(lifecycle({ pfn: null, aborted: 'no PFN', polls: 0 }));
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('no PFN');
  });
});
