/**
 * The reference MDM server's DMClient settings: its provider node name and the poll schedule it
 * writes, in sessions (Replace of the Poll nodes) and, with enrollment, in the provisioning
 * document (DMClient CSP `Provider/{ProviderID}/Poll`).
 */
import type { PollConfig } from '../core/dmclient/poll-schedule.js';

/** The three poll sets the server writes (the maintenance time is the device's own). */
export type PollSchedule = Pick<PollConfig, 'first' | 'second' | 'remaining'>;

/**
 * 3 min × 5, 15 min × 8, then every 8 h: Mattrax's values, and the mapping of Intune's
 * documented "every 3 minutes for 15 minutes, every 15 minutes for 2 hours, then around every
 * 8 hours" (dmclient-omadm.md §1, "Poll values servers use").
 */
export const REFERENCE_POLL: PollSchedule = {
  first: { intervalMinutes: 3, count: 5 },
  second: { intervalMinutes: 15, count: 8 },
  remaining: { intervalMinutes: 480, count: 0 },
};

/** The DMClient Provider node the demos use (scenario `providerId` default). */
export const DEFAULT_PROVIDER_ID = 'DMPUSH';

/** Each poll set and its two DMClient `Poll` nodes: interval (minutes) and count. */
export const POLL_NODES = [
  ['first', 'IntervalForFirstSetOfRetries', 'NumberOfFirstRetries'],
  ['second', 'IntervalForSecondSetOfRetries', 'NumberOfSecondRetries'],
  ['remaining', 'IntervalForRemainingScheduledRetries', 'NumberOfRemainingScheduledRetries'],
] as const;
