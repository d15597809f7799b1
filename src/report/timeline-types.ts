/**
 * The shapes of the timeline model: what {@link buildTimelineModel} returns and the report and
 * dashboard draw. Plain data (JSON-safe), no DOM.
 *
 * @see ./timeline-model.ts for how events become this model.
 */
import type { OsVersion, RenewalRule } from '../core/dmclient/renewal-policy.js';
import type {
  EnrollmentStage,
  SessionTrigger,
  UnenrollInitiator,
} from '../core/timeline/events.js';

/** The lanes of a device, top to bottom. */
export type LaneKind =
  | 'enrollment'
  | 'wns'
  | 'power'
  | 'data-sense'
  | 'network'
  | 'channel'
  | 'renewal'
  | 'push'
  | 'session';

/** What an item shows; with its `variant` it picks the item's colour. */
export type ItemKind =
  | 'wns'
  | 'battery'
  | 'battery-saver'
  | 'screen'
  | 'data-sense'
  | 'network'
  | 'channel'
  | 'push-status'
  | 'renewal-window'
  | 'renewal-attempt'
  | 'push'
  | 'session'
  | 'enrollment'
  | 'pfn-blocked';

/** Outcomes of a push, as counted in the summary and coloured on the timeline. */
export type PushOutcome =
  'delivered' | 'delivered-from-cache' | 'cached' | 'dropped' | 'expired' | 'rejected';
export const PUSH_OUTCOMES: readonly PushOutcome[] = [
  'delivered',
  'delivered-from-cache',
  'cached',
  'dropped',
  'expired',
  'rejected',
];

/** Outcomes of a channel request (renewal attempt). */
export type AttemptOutcome = 'succeeded' | 'failed' | 'skipped' | 'pending';

/**
 * One thing on the timeline: a band (`end` set: a period) or a point (`end` null). Times are epoch
 * milliseconds. `row` splits a lane into rows (e.g. renewal windows above attempts).
 */
export interface TimelineItem {
  readonly id: string;
  readonly device: string | null;
  readonly lane: LaneKind | 'cloud';
  readonly row: string;
  readonly kind: ItemKind;
  /** Colour variant within the kind: a reason, rule, outcome, trigger or level band. */
  readonly variant: string;
  readonly start: number;
  readonly end: number | null;
  /** Short text shown on the item (may be empty for dense points). */
  readonly label: string;
  /** What the item means, in words (hover and selection). */
  readonly explanation: string;
}

export interface Lane {
  readonly id: string;
  readonly kind: LaneKind;
  readonly label: string;
  readonly rows: readonly string[];
  readonly items: readonly TimelineItem[];
}

interface DeviceTimeline {
  readonly id: string;
  readonly os: OsVersion | null;
  readonly pfn: string | null;
  readonly lanes: readonly Lane[];
}

export interface FleetSummary {
  /** The instant the state counts refer to (the end of a run, or now for a live fleet). */
  readonly at: number;
  readonly devices: number;
  /** Devices whose WNS connection is up at `at`. */
  readonly connected: number;
  readonly channels: {
    readonly valid: number;
    /** Valid channels with 15 days or less left at `at` (the DMClient is renewing them). */
    readonly expiringWithin15Days: number;
    readonly expired: number;
    readonly none: number;
    /** The devices counted in `expiringWithin15Days` (at most 20). */
    readonly expiringDevices: readonly string[];
  };
  readonly pushes: Readonly<Record<PushOutcome, number>>;
  readonly sessions: Readonly<
    Record<
      SessionTrigger,
      { readonly started: number; readonly failed: number; readonly skipped: number }
    >
  >;
  /** Renewal decisions (`renewal.scheduled`) by the rule that fired. */
  readonly renewals: Readonly<Record<RenewalRule, number>>;
  /** Channel requests by outcome. */
  readonly attempts: Readonly<Record<AttemptOutcome, number>>;
  readonly enrollment: EnrollmentSummary;
  readonly events: number;
}

/** Enrollment over the run (all zero for a fleet whose devices never enroll). */
export interface EnrollmentSummary {
  /** Devices enrolled at `at`. */
  readonly enrolled: number;
  /** Enrollment attempts started, completed, and failed by the stage that failed. */
  readonly started: number;
  readonly completed: number;
  readonly failed: Readonly<Record<EnrollmentStage, number>>;
  /** Enrollments ended, by who ended them. */
  readonly unenrolled: Readonly<Record<UnenrollInitiator, number>>;
}

export interface TimelineModel {
  readonly start: number;
  readonly end: number;
  readonly devices: readonly DeviceTimeline[];
  /** Cloud-wide items (PFN blocked periods). */
  readonly cloud: readonly TimelineItem[];
  /** Devices counted in the summary but left out of `devices` (over `maxDevices`). */
  readonly omittedDevices: readonly string[];
  readonly summary: FleetSummary;
}

export interface TimelineModelOptions {
  /** Start of the axis (default: the first event). */
  readonly start?: number;
  /** End of the axis; open periods end here (default: the last event). */
  readonly end?: number;
  /** The instant the summary's state counts refer to (default `end`). */
  readonly now?: number;
  /** Devices to show first, in this order (devices seen only in events follow). */
  readonly devices?: readonly string[];
  /** At most this many devices get lanes (default 50); the summary counts all. */
  readonly maxDevices?: number;
  /**
   * Items that end before this instant are left out: a window of a long timeline. The lanes still
   * follow every event, so what was in force at the window's start is drawn from there on.
   */
  readonly itemsFrom?: number;
}
