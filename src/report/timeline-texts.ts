/**
 * The words of the timeline's explanations: why a connection went down, why a channel request
 * failed, why no session could start or a session failed, why WNS dropped a push, when a rule
 * retries, what an enrollment stage does and who ended an enrollment; and how a period reads.
 * Shared by the lane builders.
 */
import type { RenewalRule } from '../core/dmclient/renewal-policy.js';
import { humanSpan } from '../core/time/iso.js';
import type {
  ChannelFailure,
  DisconnectReason,
  DropReason,
  EnrollmentStage,
  SessionBlocker,
  UnenrollInitiator,
} from '../core/timeline/events.js';
import type { HoldReason } from '../core/device/wns-priority.js';
import { formatTime } from './format.js';

/** `from – to (span)`, with the second time shortened on the same day. */
export const period = (from: number, to: number): string =>
  `${formatTime(from)} – ${formatTime(to, from)} (${humanSpan(to - from)})`;

/** Why the WNS connection is down, as a clause. */
export const DISCONNECT_TEXT: Readonly<Record<DisconnectReason | 'not-yet', string>> = {
  'battery-saver': 'Battery Saver is on',
  'data-sense': 'the Data Sense limit is reached on a metered network',
  'no-network': 'the device has no network',
  'no-internet': 'the network has no internet',
  cloud: 'the WNS cloud is unavailable',
  'channel-expired': 'the ChannelURI expired',
  'no-channel': 'the device has no ChannelURI',
  reboot: 'the device rebooted',
  policy: 'policy DisallowCloudNotification turns off WNS',
  'powered-off': 'the battery is empty: the device is off',
  'not-yet': 'not connected yet',
};

/** Why a channel request failed. */
export const CHANNEL_FAILURE_TEXT: Readonly<Record<ChannelFailure, string>> = {
  'no-network': 'no network',
  'no-internet': 'no internet',
  'wns-unreachable': 'WNS unreachable',
  'invalid-pfn': 'WNS does not know the PFN',
  'pfn-blocked': 'the PFN is blocked by WNS',
};

/** Why no session could start. */
export const SESSION_BLOCKER_TEXT: Readonly<Record<SessionBlocker, string>> = {
  'battery-saver': 'Battery Saver is on: the poll waits until it ends (pollsInBatterySaver: delay)',
  'powered-off': 'the device is off (empty battery)',
  'data-sense': 'the Data Sense limit is reached',
  'no-network': 'no network',
  'no-internet': 'no internet',
  'push-service-disabled': 'the push routing service (dmwappushservice) is disabled',
};

/** Why WNS dropped a push. */
export const DROP_TEXT: Readonly<Record<DropReason, string>> = {
  offline: 'the device was offline and the push was not cacheable (no-cache)',
  'ttl-expired': 'its TTL expired while it waited in the cache',
  'cache-expired':
    'it waited past its deadline (the cache’s maximum age, or its TTL for a push the device held by its WNS priority)',
  replaced:
    'a newer push to the same channel replaced it (in the WNS cache, or held on the device)',
  'channel-expired': 'the channel expired while it waited in the cache',
  'channel-revoked':
    'the device revoked the channel (its PFN was deleted or replaced) while it waited in the cache',
  unacknowledged: 'the device never acknowledged it on its connection',
  'powered-off': 'the device held it (WNS priority) when its battery ran empty',
};

/** Why the device's notification platform holds a push (WNS priorities). */
export const HOLD_TEXT: Readonly<Record<HoldReason, string>> = {
  'screen-off-on-battery':
    'the screen is off on battery: a Medium, Low or Very Low push waits for screen on or plug-in unless the app is exempt',
  'battery-saver':
    'Battery Saver is on: every push waits unless the app is exempt (Very Low always waits)',
};

/** When a renewal rule tries next, in a few words. */
export const RULE_SHORT: Readonly<Record<RenewalRule, string>> = {
  'fifteen-day-mark': 'at the 15-day mark',
  'within-fifteen-days': 'in 4 ± 1 h',
  expired: 'in 1 day ± 4 h',
  'no-network': 'in 4 ± 1 h',
};

/** What each stage of MS-MDE2 enrollment asks for, as a clause (where a failure stopped). */
export const ENROLLMENT_STAGE_TEXT: Readonly<Record<EnrollmentStage, string>> = {
  discovery: 'the discovery service did not say where and how to enroll',
  policy: 'the certificate enrollment policy service (MS-XCEP) gave no policy',
  enroll: 'the enrollment service (MS-WSTEP) issued no device certificate',
  provisioning: 'the device could not apply the provisioning document it got',
};

/** Who ended an enrollment, as a clause. */
export const UNENROLL_TEXT: Readonly<Record<UnenrollInitiator, string>> = {
  device: 'the device left (it told the server with Alert 1226)',
  server: "the server removed the device's account",
};

/** What the start of a session failure's reason means, for the reasons that have words. */
const SESSION_FAILURE_TEXT: readonly (readonly [prefix: string, text: string])[] = [
  ['auth-rejected', "the server rejected the device's credentials"],
  ['auth-challenge-loop', 'the server kept challenging the credentials the device sent'],
];

/** Why a session failed: its reason, after its meaning when the reason has one. */
export function sessionFailureText(reason: string): string {
  const known = SESSION_FAILURE_TEXT.find(([prefix]) => reason.startsWith(prefix));
  return known ? `${known[1]} (${reason})` : reason;
}

/** `HTTP 500`, or `no answer` for status 0 (network error, timeout). */
export const httpStatusText = (status: number): string =>
  status === 0 ? 'no answer' : `HTTP ${status}`;
