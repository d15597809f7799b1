import { OS_NAMES, osProfile, type OsName } from '../os/os-profiles.js';
import type { Random } from '../random/random.js';
import { DAY, HOUR } from '../time/iso.js';

/**
 * A Windows version by name (`'1511'` … `'22H2'`, `'11-21H2'` … `'11-25H2'`; see
 * `core/os/os-profiles.ts`). 1511 applies the 1511 retry logic; every later version the 1607
 * network check first.
 */
export type OsVersion = OsName;
export const OS_VERSIONS: readonly OsVersion[] = OS_NAMES;

/** Which sentence of the retry logic produced a schedule. */
export type RenewalRule = 'fifteen-day-mark' | 'within-fifteen-days' | 'expired' | 'no-network';

/**
 * One decision of the DMClient: when it will next try to renew the ChannelURI, and why.
 * `at` lies in `[earliest, latest]`; for `fifteen-day-mark` all three are equal.
 */
export interface RenewalDecision {
  readonly os: OsVersion;
  readonly rule: RenewalRule;
  /** The chosen instant, epoch ms. */
  readonly at: number;
  readonly earliest: number;
  readonly latest: number;
}

/**
 * The timing constants of the retry logic (seed: "4 +/- 1 hours", "1 day +/- 4 hours",
 * "when 15 days are left"; a ChannelURI "is only valid for 30 days").
 */
export const RENEWAL_TIMING = {
  channelLifetime: 30 * DAY,
  renewWhenLeft: 15 * DAY,
  withinWindow: [3 * HOUR, 5 * HOUR] as const,
  expiredWindow: [20 * HOUR, 28 * HOUR] as const,
  noNetworkWindow: [3 * HOUR, 5 * HOUR] as const,
} as const;

function windowed(
  os: OsVersion,
  rule: RenewalRule,
  now: number,
  win: readonly [number, number],
  random: Random,
): RenewalDecision {
  const earliest = now + win[0];
  const latest = now + win[1];
  return { os, rule, at: random.int(earliest, latest), earliest, latest };
}

/**
 * The Windows 10 1511 retry rules, which every version applies after an attempt:
 * - more than 15 days left → `fifteen-day-mark`, exactly when 15 days are left;
 * - `0 < left <= 15 days` → `within-fifteen-days`, uniform in [now + 3 h, now + 5 h];
 * - `left <= 0` (or no channel at all) → `expired`, uniform in [now + 20 h, now + 28 h].
 *
 * `expiry` is the channel's ExpiryTime (epoch ms), or `null` when the device holds no channel,
 * which is treated as expired (an assumption, see docs/model.md).
 *
 * @example
 * ```ts
 * const d = scheduleAfterAttempt('1511', now, now + 20 * DAY, random);
 * d.rule; // 'fifteen-day-mark'; d.at === now + 5 * DAY
 * ```
 */
export function scheduleAfterAttempt(
  os: OsVersion,
  now: number,
  expiry: number | null,
  random: Random,
): RenewalDecision {
  const left = expiry === null ? 0 : expiry - now;
  if (left > RENEWAL_TIMING.renewWhenLeft) {
    const at = (expiry as number) - RENEWAL_TIMING.renewWhenLeft;
    return { os, rule: 'fifteen-day-mark', at, earliest: at, latest: at };
  }
  if (left > 0)
    return windowed(os, 'within-fifteen-days', now, RENEWAL_TIMING.withinWindow, random);
  return windowed(os, 'expired', now, RENEWAL_TIMING.expiredWindow, random);
}

/** The 1607 skip: no network when an attempt was due, so try again in 4 ± 1 h, whatever the expiry. */
export function scheduleAfterSkip(os: OsVersion, now: number, random: Random): RenewalDecision {
  return windowed(os, 'no-network', now, RENEWAL_TIMING.noNetworkWindow, random);
}

/**
 * Whether a due attempt goes ahead. 1607 and every later version check network connectivity (any
 * network, not the internet) first and skip without one; 1511 always attempts.
 */
export function attemptGoesAhead(os: OsVersion, networkConnected: boolean): boolean {
  return osProfile(os).retryLogic === '1511' || networkConnected;
}

/** Inputs of {@link decideRenewal}. */
export interface RenewalInput {
  readonly os: OsVersion;
  /** The decision instant, epoch ms. */
  readonly now: number;
  /** The channel's ExpiryTime, epoch ms, or null for no channel. */
  readonly expiry: number | null;
  /** Connected to any network (whether or not it reaches the internet). */
  readonly networkConnected: boolean;
}

/**
 * The whole decision the DMClient takes at `now` when a scheduled renewal comes due and (if it
 * attempts) the attempt does not succeed: the 1607 network check, then the 1511 rules.
 *
 * @example
 * ```ts
 * import { decideRenewal, SeededRandom } from 'dmpush';
 * const d = decideRenewal(
 *   { os: '1607', now: Date.parse('2026-01-20T00:00:00Z'), expiry: Date.parse('2026-01-25T00:00:00Z'), networkConnected: false },
 *   new SeededRandom(7),
 * );
 * // d.rule === 'no-network', d.earliest = now + 3 h, d.latest = now + 5 h
 * ```
 */
export function decideRenewal(input: RenewalInput, random: Random): RenewalDecision {
  if (!attemptGoesAhead(input.os, input.networkConnected))
    return scheduleAfterSkip(input.os, input.now, random);
  return scheduleAfterAttempt(input.os, input.now, input.expiry, random);
}
