/**
 * The sessions lane: one point per OMA-DM session (coloured by its trigger, or as failed) and per
 * session that could not start; and the counts per trigger for the summary. A session failure
 * says what its reason means when it has words for it (authentication, see `timeline-texts.ts`).
 */
import { humanSpan } from '../core/time/iso.js';
import type { SessionTrigger, TimelineEventOf } from '../core/timeline/events.js';
import { countOf, formatTime } from './format.js';
import type { LaneItems } from './lane-items.js';
import { SESSION_BLOCKER_TEXT, sessionFailureText } from './timeline-texts.js';

/** What a trigger's session is for, where its name does not say it. */
const TRIGGER_NOTE: Partial<Readonly<Record<SessionTrigger, string>>> = {
  enrolled: ', the first after enrollment',
  unenroll: ', telling the server the device leaves (Alert 1226)',
};

interface OpenSession {
  readonly start: number;
  readonly trigger: SessionTrigger;
  queued: number;
}

/** Sessions of one trigger: started, failed, and not possible (skipped). */
export interface SessionCount {
  started: number;
  failed: number;
  skipped: number;
}

/** The events about one device's sessions. */
export type SessionEvent = TimelineEventOf<
  'session.started' | 'session.completed' | 'session.failed' | 'session.queued' | 'session.skipped'
>;

export class SessionLane {
  private session: OpenSession | null = null;
  /** Sessions by trigger, in the order the triggers first occur. */
  readonly counts = new Map<SessionTrigger, SessionCount>();

  constructor(private readonly out: LaneItems) {}

  apply(e: SessionEvent): void {
    const t = e.time;
    switch (e.type) {
      case 'session.started':
        this.closeSession(t, 'completed');
        this.session = { start: t, trigger: e.trigger, queued: 0 };
        this.count(e.trigger).started++;
        break;
      case 'session.completed':
        this.closeSession(t, 'completed');
        break;
      case 'session.failed':
        this.count(e.trigger).failed++;
        this.closeSession(t, e.reason);
        break;
      case 'session.queued':
        if (this.session) this.session.queued++;
        break;
      case 'session.skipped':
        this.count(e.trigger).skipped++;
        this.out.add('session', {
          kind: 'session',
          variant: 'skipped',
          start: t,
          end: null,
          label: '',
          explanation: () =>
            `${e.trigger === 'poll' ? 'Poll' : `Session (trigger ${e.trigger})`} due at ${formatTime(t)}: no session possible, ${SESSION_BLOCKER_TEXT[e.reason]}.`,
        });
        break;
    }
  }

  /** Draws the session still running at `end`, if any. */
  finish(end: number): void {
    this.closeSession(end, 'open');
  }

  private count(trigger: SessionTrigger): SessionCount {
    let c = this.counts.get(trigger);
    if (!c) this.counts.set(trigger, (c = { started: 0, failed: 0, skipped: 0 }));
    return c;
  }

  private closeSession(t: number, outcome: string): void {
    const s = this.session;
    if (!s) return;
    this.session = null;
    const queued = s.queued
      ? `; ${countOf(s.queued, 'more trigger')} arrived while it ran, so another session follows`
      : '';
    this.out.add('session', {
      kind: 'session',
      variant: outcome === 'completed' || outcome === 'open' ? s.trigger : 'failed',
      start: s.start,
      end: null,
      label: '',
      explanation: () =>
        `OMA-DM session (trigger ${s.trigger}${TRIGGER_NOTE[s.trigger] ?? ''}) ${formatTime(s.start, undefined, true)}: ${outcome === 'completed' ? `completed after ${humanSpan(t - s.start)}` : outcome === 'open' ? 'still running at the end of the run' : `failed after ${humanSpan(t - s.start)}: ${sessionFailureText(outcome)}`}${queued}.`,
    });
  }
}
