/**
 * The fleet summary of a timeline: at one instant, how many devices are on WNS and how their
 * channels stand and how many are enrolled; over the run, pushes by outcome, sessions by trigger,
 * renewal decisions by rule, channel requests by outcome and enrollments by outcome.
 */
import type { RenewalRule } from '../core/dmclient/renewal-policy.js';
import { DAY } from '../core/time/iso.js';
import type { SessionTrigger } from '../core/timeline/events.js';
import type { DeviceBuilder } from './device-builder.js';
import type { SessionCount } from './session-lane.js';
import {
  PUSH_OUTCOMES,
  type AttemptOutcome,
  type EnrollmentSummary,
  type FleetSummary,
  type PushOutcome,
} from './timeline-types.js';

/** At most this many devices are named as expiring within 15 days. */
const EXPIRING_NAMED = 20;

/** Enrollment over the devices' timelines: enrolled now, attempts, failures by stage, ends. */
function summarizeEnrollment(builders: readonly DeviceBuilder[]): EnrollmentSummary {
  const failed = { discovery: 0, policy: 0, enroll: 0, provisioning: 0 };
  const unenrolled = { device: 0, server: 0 };
  let enrolled = 0;
  let started = 0;
  let completed = 0;
  for (const b of builders) {
    const c = b.enrollment.counts;
    if (b.enrollment.enrolled) enrolled++;
    started += c.started;
    completed += c.completed;
    for (const k of Object.keys(failed) as (keyof typeof failed)[]) failed[k] += c.failed[k];
    unenrolled.device += c.unenrolled.device;
    unenrolled.server += c.unenrolled.server;
  }
  return { enrolled, started, completed, failed, unenrolled };
}

/** The summary of the devices' timelines; state counts refer to `at`. */
export function summarize(
  builders: readonly DeviceBuilder[],
  at: number,
  eventCount: number,
): FleetSummary {
  const pushes = Object.fromEntries(PUSH_OUTCOMES.map((o) => [o, 0])) as Record<
    PushOutcome,
    number
  >;
  const triggers: SessionTrigger[] = [
    'push',
    'renewal',
    'poll',
    'provisioned',
    'enrolled',
    'unenroll',
  ];
  const sessions = Object.fromEntries(
    triggers.map((t) => [t, { started: 0, failed: 0, skipped: 0 }]),
  ) as Record<SessionTrigger, SessionCount>;
  const renewals: Record<RenewalRule, number> = {
    'fifteen-day-mark': 0,
    'within-fifteen-days': 0,
    expired: 0,
    'no-network': 0,
  };
  const attempts: Record<AttemptOutcome, number> = {
    succeeded: 0,
    failed: 0,
    skipped: 0,
    pending: 0,
  };
  let connected = 0;
  const channels = { valid: 0, expiringWithin15Days: 0, expired: 0, none: 0 };
  const expiringDevices: string[] = [];
  for (const b of builders) {
    if (b.conditions.connected) connected++;
    const expiresAt = b.channel.expiresAt;
    if (expiresAt === null) {
      // No channel now: expired (if the device ever had one) or none at all.
      if (b.channel.everIssued) channels.expired++;
      else channels.none++;
    } else if (expiresAt <= at) channels.expired++;
    else {
      channels.valid++;
      if (expiresAt - at <= 15 * DAY) {
        channels.expiringWithin15Days++;
        if (expiringDevices.length < EXPIRING_NAMED) expiringDevices.push(b.id);
      }
    }
    for (const o of b.pushes.outcomes()) pushes[o]++;
    for (const [t, c] of b.sessions.counts) {
      sessions[t].started += c.started;
      sessions[t].failed += c.failed;
      sessions[t].skipped += c.skipped;
    }
    for (const [rule, n] of b.channel.ruleCounts) renewals[rule] += n;
    const a = b.channel.attemptCounts();
    for (const k of Object.keys(attempts) as AttemptOutcome[]) attempts[k] += a[k];
  }
  return {
    at,
    devices: builders.length,
    connected,
    channels: { ...channels, expiringDevices },
    pushes,
    sessions,
    renewals,
    attempts,
    enrollment: summarizeEnrollment(builders),
    events: eventCount,
  };
}
