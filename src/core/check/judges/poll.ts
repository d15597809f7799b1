/**
 * The judge of the device's polling schedule in the lifecycle situation (`poll-schedule`): push
 * does not replace polling, so the device must keep polling, and an infinite schedule of very
 * short intervals loads the server with sessions. Pure.
 *
 * @module
 */
import { planPolls, type PollConfig, type PollPhase } from '../../dmclient/poll-schedule.js';
import { DAY, HOUR, MINUTE } from '../../time/iso.js';
import type { CheckDefinition, Recording, Verdict } from '../model.js';
import {
  deviceEvidence,
  eventsOf,
  isProviderNode,
  itemsOf,
  serverCommands,
  syncmlEvidence,
  verdict,
} from '../recorded.js';
import { PUSH_PAGE } from '../sources.js';

/** An infinite set polling more often than this warns. */
const MIN_INFINITE_INTERVAL_MS = HOUR;
/** The fleet size the warning's load is counted for. */
const FLEET_SIZE = 10_000;

const POLL_LEAVES = [
  'IntervalForFirstSetOfRetries',
  'NumberOfFirstRetries',
  'IntervalForSecondSetOfRetries',
  'NumberOfSecondRetries',
  'IntervalForRemainingScheduledRetries',
  'NumberOfRemainingScheduledRetries',
].map((leaf) => `Poll/${leaf}`);

/** An interval in words: `1 min`, `15 min`, `8 h`. */
function every(ms: number): string {
  const minutes = Math.round(ms / MINUTE);
  return minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

/** One phase in words: `every 15 min ×10` or `every 8 h forever`. */
function phaseWords(phase: PollPhase): string {
  return `every ${every(phase.intervalMs)} ${phase.count === Infinity ? 'forever' : `×${phase.count}`}`;
}

/** The effective schedule in words, as the device runs it (the CSP's rules applied). */
function scheduleWords(config: PollConfig): string {
  const plan = planPolls(config);
  const parts = plan.phases.map(phaseWords);
  if (plan.maintenanceFallback) parts.push(`daily at ${plan.maintenanceTime} (maintenance window)`);
  return parts.join(', then ');
}

/** Sessions a day that an infinite set of `intervalMs` costs a fleet of {@link FLEET_SIZE}. */
function dailySessions(intervalMs: number): number {
  return Math.round((DAY / intervalMs) * FLEET_SIZE);
}

/** `poll-schedule`: the device keeps polling after bring-up, and not every few minutes forever. */
function judgePollSchedule(recording: Recording): Verdict {
  const device = recording.devices[0];
  if (!device) return verdict('skip', 'the recording has no device');
  if (recording.aborted) {
    return verdict('skip', `the situation stopped before its day: ${recording.aborted}`);
  }
  const schedule = scheduleWords(device.poll);
  const started = eventsOf(recording, 'session.started').filter(
    (e) => e.device === null || e.device === device.id,
  );
  // The first session is the bring-up's own (trigger `poll` or `enrolled`), not a scheduled poll.
  const polls = started.slice(1).filter((e) => e.trigger === 'poll');
  const sets = serverCommands(recording).filter(
    (x) =>
      (x.command.kind === 'Replace' || x.command.kind === 'Add') &&
      itemsOf(x.command).some((i) => POLL_LEAVES.some((leaf) => isProviderNode(i.target, leaf))),
  );
  const evidence = [
    ...sets.slice(0, 3).map((x) => syncmlEvidence(x)),
    ...polls.slice(0, 3).map(deviceEvidence),
  ];
  if (polls.length === 0) {
    return verdict(
      'fail',
      `the device made no poll session in the day after bring-up (schedule: ${schedule})`,
      evidence,
    );
  }
  const infinite = planPolls(device.poll).phases.find((p) => p.count === Infinity);
  if (infinite && infinite.intervalMs < MIN_INFINITE_INTERVAL_MS) {
    const load = dailySessions(infinite.intervalMs).toLocaleString('en-US');
    return verdict(
      'warn',
      `every ${every(infinite.intervalMs)} forever: ${load} sessions a day for ${FLEET_SIZE.toLocaleString('en-US')} devices (schedule: ${schedule})`,
      evidence,
    );
  }
  const count = `${polls.length} poll session${polls.length === 1 ? '' : 's'} in the day`;
  return verdict('pass', `${schedule}; ${count}`, evidence);
}

export const pollScheduleCheck: CheckDefinition = {
  id: 'poll-schedule',
  title: 'Keeps a polling schedule beside push',
  situation: 'lifecycle',
  needsTrigger: false,
  source: {
    quote: "Push isn't a replacement for having a polling schedule.",
    ...PUSH_PAGE,
  },
  judge: judgePollSchedule,
};
