/**
 * The enrollment lane: on its upper row each MS-MDE2 enrollment attempt as a band from
 * `enrollment.started` to its end (completed, or failed and styled so, with the stage and reason
 * in its explanation); on its lower row the period the device is enrolled (from
 * `enrollment.completed` until `unenrolled` or the end) and each unenrollment as a point. The lane
 * shows only for a device that had an enrollment event; the counts feed the summary.
 */
import type {
  EnrollmentAuthPolicy,
  EnrollmentStage,
  TimelineEventOf,
  UnenrollInitiator,
} from '../core/timeline/events.js';
import { formatTime } from './format.js';
import type { LaneItems } from './lane-items.js';
import { ENROLLMENT_STAGE_TEXT, httpStatusText, period, UNENROLL_TEXT } from './timeline-texts.js';

/** The events about one device's enrollment. */
export type EnrollmentEvent = TimelineEventOf<
  | 'enrollment.started'
  | 'enrollment.discovered'
  | 'enrollment.completed'
  | 'enrollment.failed'
  | 'unenrolled'
>;

/** An attempt under way: where it started and what discovery answered. */
interface Attempt {
  readonly since: number;
  readonly discoveryUrl: string;
  discovered: TimelineEventOf<'enrollment.discovered'> | null;
}

/** The enrollment in force. */
interface Enrolled {
  readonly since: number;
  readonly providerId: string;
  readonly managementUrl: string;
  readonly certificateThumbprint: string;
  readonly authPolicy: EnrollmentAuthPolicy | null;
}

/** Enrollment counts of one device, for the summary. */
export interface EnrollmentCounts {
  started: number;
  completed: number;
  readonly failed: Record<EnrollmentStage, number>;
  readonly unenrolled: Record<UnenrollInitiator, number>;
}

export class EnrollmentLane {
  private attempt: Attempt | null = null;
  private current: Enrolled | null = null;
  readonly counts: EnrollmentCounts = {
    started: 0,
    completed: 0,
    failed: { discovery: 0, policy: 0, enroll: 0, provisioning: 0 },
    unenrolled: { device: 0, server: 0 },
  };

  constructor(private readonly out: LaneItems) {}

  /** True when the device is enrolled (at the last event applied). */
  get enrolled(): boolean {
    return this.current !== null;
  }

  apply(e: EnrollmentEvent): void {
    this.out.use('enrollment');
    switch (e.type) {
      case 'enrollment.started':
        // A restart begins the attempt again: the one under way ends here.
        this.closeAttempt(e.time, 'restarted');
        this.attempt = { since: e.time, discoveryUrl: e.discoveryUrl, discovered: null };
        this.counts.started++;
        break;
      case 'enrollment.discovered':
        if (this.attempt) this.attempt.discovered = e;
        break;
      case 'enrollment.completed':
        this.completed(e);
        break;
      case 'enrollment.failed':
        this.counts.failed[e.stage]++;
        this.failed(e);
        break;
      case 'unenrolled':
        this.unenrolled(e);
        break;
      default:
        return e satisfies never;
    }
  }

  /** Draws the attempt and the enrollment still open at `end` (the state stays as it is). */
  finish(end: number): void {
    this.closeAttempt(end, 'open');
    this.closeEnrolled(end, null);
  }

  private completed(e: TimelineEventOf<'enrollment.completed'>): void {
    this.counts.completed++;
    const authPolicy = this.attempt?.discovered?.authPolicy ?? null;
    this.closeAttempt(e.time, e);
    // Enrolled again without an unenrollment between: the previous enrollment ends here.
    this.closeEnrolled(e.time, null);
    this.current = {
      since: e.time,
      providerId: e.providerId,
      managementUrl: e.managementUrl,
      certificateThumbprint: e.certificateThumbprint,
      authPolicy,
    };
  }

  private failed(e: TimelineEventOf<'enrollment.failed'>): void {
    const a = this.attempt ?? { since: e.time, discoveryUrl: '', discovered: null };
    this.attempt = null;
    this.out.add('enrollment', {
      row: 'attempt',
      kind: 'enrollment',
      variant: 'failed',
      start: a.since,
      end: e.time,
      label: `failed: ${e.stage}`,
      explanation: () =>
        `Enrollment failed at the ${e.stage} stage (${httpStatusText(e.status)}: ${e.reason}) ${period(a.since, e.time)}: ${ENROLLMENT_STAGE_TEXT[e.stage]}${attemptDetails(a)}.`,
    });
  }

  private unenrolled(e: TimelineEventOf<'unenrolled'>): void {
    this.counts.unenrolled[e.initiator]++;
    this.closeEnrolled(e.time, e.initiator);
    this.current = null;
    this.out.add('enrollment', {
      row: 'enrolled',
      kind: 'enrollment',
      variant: 'unenrolled',
      start: e.time,
      end: null,
      label: '',
      explanation: () =>
        `Unenrolled from ${e.providerId} at ${formatTime(e.time, undefined, true)}: ${UNENROLL_TEXT[e.initiator]}. The device is no longer managed until it enrolls again.`,
    });
  }

  /** Ends the attempt under way at `t`: completed, restarted, or still open at the end. */
  private closeAttempt(
    t: number,
    end: TimelineEventOf<'enrollment.completed'> | 'restarted' | 'open',
  ) {
    const a = this.attempt;
    if (!a) return;
    this.attempt = null;
    const outcome =
      end === 'open'
        ? 'still under way at the end of the run'
        : end === 'restarted'
          ? 'cut short: the device started over'
          : `enrolled with ${end.providerId}`;
    this.out.add('enrollment', {
      row: 'attempt',
      kind: 'enrollment',
      variant: 'enrolling',
      start: a.since,
      end: t,
      label: 'enrolling',
      explanation: () =>
        `Enrollment (MS-MDE2) ${period(a.since, t)}: ${outcome}${attemptDetails(a)}.`,
    });
  }

  /**
   * Draws the enrollment in force up to `t`, ended by an unenrollment or (null) by the end or a
   * re-enrollment; the caller says what is in force next.
   */
  private closeEnrolled(t: number, by: UnenrollInitiator | null): void {
    const c = this.current;
    if (!c) return;
    const auth = c.authPolicy ? ` (${c.authPolicy} auth)` : '';
    const ended = by ? `; then ${UNENROLL_TEXT[by]}` : '';
    this.out.add('enrollment', {
      row: 'enrolled',
      kind: 'enrollment',
      variant: 'enrolled',
      start: c.since,
      end: t,
      label: `enrolled: ${c.providerId}`,
      explanation: () =>
        `Enrolled with ${c.providerId}${auth} ${period(c.since, t)}: sessions go to ${c.managementUrl}, the device certificate (thumbprint ${c.certificateThumbprint}) identifies the device${ended}.`,
    });
  }
}

/** What an attempt reached: where discovery started and what it answered, as a clause. */
function attemptDetails(a: Attempt): string {
  const d = a.discovered;
  const from = a.discoveryUrl ? `; discovery at ${a.discoveryUrl}` : '';
  return d ? `${from}, ${d.authPolicy} auth policy, enrollment service ${d.enrollmentUrl}` : from;
}
