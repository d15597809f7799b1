import { describe, expect, it } from 'vitest';
import {
  channelRereadCheck,
  offlineAcrossExpiryCheck,
} from '../../src/core/check/judges/channel-change.js';
import type { Recording, SyncMLExchange } from '../../src/core/check/model.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import {
  DAY,
  HOUR,
  MINUTE,
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

const OLD = 'https://wns.example/w/old?token=AAA';
const NEW = 'https://wns.example/w/new?token=BBB';
/** When the device renews (day 15). */
const R = T0 + 15 * DAY;

/**
 * A session in which the server Gets Push/ChannelURI and the device answers `uri`: the Get
 * arrives at `at`, the Results one second later.
 */
function readSession(
  at: number,
  sessionId: string,
  trigger: string,
  uri: string,
): SyncMLExchange[] {
  const first = exchange(
    at,
    message('device', '1', [], sessionId),
    message(
      'server',
      '1',
      [status('1', '1', '0', 'SyncHdr'), get('2', node('Push/ChannelURI'))],
      sessionId,
    ),
    { trigger },
  );
  const second = exchange(
    at + 1000,
    message(
      'device',
      '2',
      [status('1', '1', '0', 'SyncHdr'), results('2', '1', '2', node('Push/ChannelURI'), uri)],
      sessionId,
    ),
    message('server', '2', [status('1', '2', '0', 'SyncHdr')], sessionId),
    { trigger },
  );
  return [first, second];
}

/** A session in which the server reads nothing. */
function emptySession(at: number, sessionId: string, trigger: string): SyncMLExchange[] {
  return [
    exchange(
      at,
      message('device', '1', [], sessionId),
      message('server', '1', [status('1', '1', '0', 'SyncHdr')], sessionId),
      { trigger },
    ),
  ];
}

/** Bring-up: the first channel, read in the `provisioned` session. */
const bringUp: { timeline: TimelineEvent[]; syncml: SyncMLExchange[] } = {
  timeline: [
    event(T0 + MINUTE, { type: 'channel.requested', reason: 'provisioned' }),
    event(T0 + 2 * MINUTE, { type: 'channel.issued', channelUri: OLD, expiresAt: T0 + 30 * DAY }),
  ],
  syncml: readSession(T0 + 3 * MINUTE, '1', 'provisioned', OLD),
};

const renewed: TimelineEvent[] = [
  event(R, { type: 'channel.requested', reason: 'renewal' }),
  event(R + 1000, { type: 'channel.issued', channelUri: NEW, expiresAt: R + 30 * DAY }),
  event(R + 1000, { type: 'session.started', trigger: 'renewal' }),
];

/** A renewal recording: the renewal session, later sessions, and the push after the trigger. */
function renewal(
  sessions: SyncMLExchange[],
  opts: { pushTo?: string | null; triggers?: boolean } = {},
): Recording {
  const pushTo = opts.pushTo === undefined ? NEW : opts.pushTo;
  const trigger = R + HOUR;
  return recording('renewal', {
    timeline: [...bringUp.timeline, ...renewed],
    syncml: [...bringUp.syncml, ...sessions],
    triggers: opts.triggers ?? true,
    marks: opts.triggers === false ? [] : [mark(trigger, 'trigger', { ok: true, realMs: 40 })],
    journal:
      pushTo && opts.triggers !== false
        ? [journal(trigger + 500, { op: 'notify', status: 200, channelUri: pushTo })]
        : [],
    end: R + 2 * DAY,
  });
}

describe('channel-reread-after-renewal', () => {
  const judge = channelRereadCheck.judge;

  it('passes when the renewal session reads the new URI and the next push goes to it', () => {
    const v = judge(renewal(readSession(R + 2000, '2', 'renewal', NEW)));
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('next push went to the new URI');
    expect(v.evidence.some((e) => e.text.startsWith('Get ') && e.text.includes('session 2'))).toBe(
      true,
    );
  });

  it('warns when the new URI is read only in a later session', () => {
    const sessions = [
      ...emptySession(R + 2000, '2', 'renewal'),
      ...readSession(R + 8 * HOUR, '3', 'poll', NEW),
    ];
    const v = judge(renewal(sessions));
    expect(v.result).toBe('warn');
    expect(v.summary).toContain('later session (trigger poll)');
  });

  it('fails when the server never reads the new URI', () => {
    const v = judge(renewal(emptySession(R + 2000, '2', 'renewal')));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('never read the new ChannelURI');
  });

  it('does not count a Get answered before the new channel was issued', () => {
    const v = judge(renewal(readSession(R + 500, '2', 'poll', NEW)));
    expect(v.result).toBe('fail');
  });

  it('fails when the next push goes to the old URI', () => {
    const v = judge(renewal(readSession(R + 2000, '2', 'renewal', NEW), { pushTo: OLD }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('the next push went to the old URI');
  });

  it('passes without a trigger, saying the next push was not checked', () => {
    const v = judge(renewal(readSession(R + 2000, '2', 'renewal', NEW), { triggers: false }));
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('next push was not checked (no trigger)');
  });

  it('names a trigger that led to no push without failing on it', () => {
    const v = judge(renewal(readSession(R + 2000, '2', 'renewal', NEW), { pushTo: null }));
    expect(v.result).toBe('pass');
    expect(v.summary).toContain('no push followed the trigger');
  });

  it('skips when no renewal happened, naming the abort', () => {
    const r = recording('renewal', { ...bringUp, aborted: 'the server never set Push/PFN' });
    const v = judge(r);
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('the server never set Push/PFN');
  });
});

describe('offline-across-expiry', () => {
  const judge = offlineAcrossExpiryCheck.judge;
  const OFF = T0 + HOUR;
  const ON = T0 + 31 * DAY;

  function expiry(parts: { poll?: boolean; renew?: boolean; read?: boolean }): Recording {
    const { poll = true, renew = true, read = true } = parts;
    const timeline = [
      ...bringUp.timeline,
      event(T0 + 30 * DAY, { type: 'channel.expired', channelUri: OLD }),
      ...(poll ? [event(ON + 10 * MINUTE, { type: 'session.completed', trigger: 'poll' })] : []),
      ...(renew
        ? [
            event(ON + HOUR, { type: 'channel.requested', reason: 'renewal' }),
            event(ON + HOUR + 1000, {
              type: 'channel.issued',
              channelUri: NEW,
              expiresAt: ON + 31 * DAY,
            }),
          ]
        : []),
    ];
    const later = read
      ? readSession(ON + HOUR + 2000, '3', 'renewal', NEW)
      : emptySession(ON + HOUR + 2000, '3', 'renewal');
    return recording('expiry', {
      timeline,
      syncml: [...bringUp.syncml, ...later],
      marks: [mark(OFF, 'offline', { detail: 'network: none' }), mark(ON, 'online')],
      end: ON + DAY,
    });
  }

  it('passes when polling resumes and the server reads the new URI', () => {
    const v = judge(expiry({}));
    expect(v.result).toBe('pass');
    expect(v.evidence.some((e) => e.text.includes('session.completed'))).toBe(true);
  });

  it('fails when polling does not resume', () => {
    const v = judge(expiry({ poll: false }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('polling did not resume');
    expect(v.summary).not.toContain('never read');
  });

  it('fails when the server never reads the new URI', () => {
    const v = judge(expiry({ read: false }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('the server never read the new ChannelURI');
  });

  it('names every missing part', () => {
    const v = judge(expiry({ poll: false, renew: false }));
    expect(v.result).toBe('fail');
    expect(v.summary).toContain('polling did not resume');
    expect(v.summary).toContain('the device got no new channel');
  });

  it('skips when the situation stopped before the device went offline', () => {
    const r = recording('expiry', { ...bringUp, aborted: 'the server stopped answering' });
    const v = judge(r);
    expect(v.result).toBe('skip');
    expect(v.summary).toContain('the server stopped answering');
  });
});
