import { PUSH_STATUS_TEXT } from '../dmclient/push-status.js';
import type { RenewalRule } from '../dmclient/renewal-policy.js';
import { osLabel } from '../os/os-profiles.js';
import { formatInstant, humanSpan } from '../time/iso.js';
import type { TimelineEvent } from './events.js';

const INSTANT_KEYS = new Set(['at', 'earliest', 'latest']);
const isInstantKey = (key: string): boolean => INSTANT_KEYS.has(key) || key.endsWith('At');

/**
 * The JSON form of an event: `time` as ISO 8601 UTC with milliseconds, then `device`, `type` and
 * the fields, with every instant field as ISO too. Key order is fixed, so output is byte-stable.
 */
export function toJson(event: TimelineEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {
    time: formatInstant(event.time),
    device: event.device,
    type: event.type,
  };
  for (const [key, value] of Object.entries(event)) {
    if (key === 'time' || key === 'device' || key === 'type') continue;
    out[key] = typeof value === 'number' && isInstantKey(key) ? formatInstant(value) : value;
  }
  return out;
}

/** One JSONL line (no trailing newline). */
export function toJsonLine(event: TimelineEvent): string {
  return JSON.stringify(toJson(event));
}

const RULE_TEXT: Readonly<Record<RenewalRule, string>> = {
  'fifteen-day-mark': 'more than 15 days left: renew when 15 days are left',
  'within-fifteen-days': '15 days or less left: retry in 4 ± 1 h',
  // The rule also fires when the device holds no channel at all (none yet, or its PFN changed).
  expired: 'no valid channel (none yet, or it expired): retry in 1 day ± 4 h',
  'no-network': '1607+: no network, attempt skipped: retry in 4 ± 1 h',
};

/** The `expired` rule's sentence when it is known whether the device ever had the channel. */
const NO_CHANNEL_TEXT = {
  none: 'no channel yet: retry in 1 day ± 4 h',
  expired: 'channel expired: retry in 1 day ± 4 h',
} as const;

/**
 * The sentence of the retry logic behind a rule. For the `expired` rule, `channel` says whether
 * the device held no channel (`none`) or one that expired (`expired`); without it both are named.
 */
export function explainRule(rule: RenewalRule, channel?: 'none' | 'expired'): string {
  return rule === 'expired' && channel ? NO_CHANNEL_TEXT[channel] : RULE_TEXT[rule];
}

/** `X-WNS-PRIORITY` values by name. */
const PRIORITY_TEXT = { 1: 'High', 2: 'Medium', 3: 'Low', 4: 'Very Low' } as const;

/** A sentence saying what an event means, for text output and tooltips. */
export function describe(event: TimelineEvent): string {
  switch (event.type) {
    case 'device.started':
      return `${osLabel(event.os)} device starts; battery ${event.battery}%${event.charging ? ' (charging)' : ''}, ${event.connected ? (event.internet ? 'online' : 'network without internet') : 'no network'}${event.metered ? ', metered' : ''}${event.pfn ? `, PFN ${event.pfn}` : ', no PFN'}`;
    case 'device.rebooted':
      return 'device rebooted';
    case 'device.powered-off':
      return 'battery empty: the device is off (no connection, no sessions, no renewals)';
    case 'device.booted':
      return `charging: the device boots at ${event.battery}%`;
    case 'screen.changed':
      return `screen ${event.screen}`;
    case 'channel.requested':
      return `asks WNS for a ChannelURI (${event.reason})`;
    case 'channel.issued':
      return `gets ChannelURI ${event.channelUri}, valid until ${formatInstant(event.expiresAt)}`;
    case 'channel.request-failed':
      return `channel request failed: ${event.reason}`;
    case 'channel.expired':
      return `ChannelURI expired: ${event.channelUri}`;
    case 'channel.revoked':
      return `WNS revoked the channels of PFN ${event.pfn} (a push to them gets 410)`;
    case 'channel.revoke-failed':
      return `revoking the channels of PFN ${event.pfn} failed: ${event.reason} (Push/Status 6; tried again later)`;
    case 'renewal.scheduled': {
      const window =
        event.earliest === event.latest
          ? ''
          : ` (window ${formatInstant(event.earliest)} – ${formatInstant(event.latest)})`;
      return `${event.os}: ${RULE_TEXT[event.rule]}; next attempt ${formatInstant(event.at)}, in ${humanSpan(event.at - event.time)}${window}`;
    }
    case 'renewal.skipped':
      return 'renewal due, but no network: attempt skipped (1607+)';
    case 'wns.connected':
      return 'WNS persistent connection up';
    case 'wns.disconnected':
      return `WNS persistent connection down: ${event.reason}`;
    case 'wns.pfn-blocked':
      return `WNS blocks PFN ${event.pfn}`;
    case 'wns.pfn-unblocked':
      return `WNS unblocks PFN ${event.pfn}`;
    case 'push.sent':
      return `server sends raw push ${event.msgId} (${event.cachePolicy}${event.ttlSeconds !== null ? `, TTL ${event.ttlSeconds} s` : ''}): WNS answers ${event.status}`;
    case 'push.rejected':
      return `push rejected: ${event.status === 0 ? 'not sent' : `WNS answers ${event.status}`} (${event.reason})`;
    case 'push.received':
      return `raw push ${event.msgId} (priority ${PRIORITY_TEXT[event.priority]}) received${event.cached ? ' from the WNS cache' : ''}${event.heldAt !== undefined ? `, held since ${formatInstant(event.heldAt)}` : ''}`;
    case 'push.held':
      return `push ${event.msgId} (priority ${PRIORITY_TEXT[event.priority]}) held for the DMClient: ${event.reason === 'battery-saver' ? 'Battery Saver is on' : 'screen off on battery'}${event.expiresAt !== null ? `, at most until ${formatInstant(event.expiresAt)}` : ''}`;
    case 'push.cached':
      return `device offline: WNS caches push ${event.msgId}${event.expiresAt !== null ? ` until ${formatInstant(event.expiresAt)}` : ''}`;
    case 'push.dropped':
      return event.reason === 'cache-expired' || event.reason === 'powered-off'
        ? `the device drops held push ${event.msgId}: ${event.reason}`
        : `WNS drops push ${event.msgId}: ${event.reason}`;
    case 'push.status':
      return `Push/Status = ${event.status} (${PUSH_STATUS_TEXT[event.status]})`;
    case 'session.started':
      return `OMA-DM session starts (${event.trigger})`;
    case 'session.completed':
      return `OMA-DM session completed (${event.trigger})`;
    case 'session.failed':
      return `OMA-DM session failed (${event.trigger}): ${event.reason}`;
    case 'session.skipped':
      return `no session possible (${event.trigger}): ${event.reason}`;
    case 'session.queued':
      return `session running: one more (${event.trigger}) will follow it`;
    case 'battery-saver.changed':
      return `Battery Saver ${event.on ? 'on' : 'off'} at ${event.level}%`;
    case 'power.changed':
      return `${event.charging ? 'charging' : 'on battery'} at ${event.level}%`;
    case 'network.changed':
      return `network: ${event.connected ? `${event.networkType}${event.internet ? '' : ' without internet'}${event.metered ? ', metered' : ''}` : 'none'}`;
    case 'push-service.changed':
      return `push routing service (dmwappushservice) ${event.state}`;
    case 'data-sense.changed':
      return event.limitReached
        ? `Data Sense: monthly limit reached (${event.usedMB} MB)`
        : `Data Sense: under the limit again (${event.usedMB} MB)`;
    case 'enrollment.started':
      return `enrollment starts: discovery at ${event.discoveryUrl}`;
    case 'enrollment.discovered':
      return `enrollment: ${event.authPolicy} policy, enrollment service ${event.enrollmentUrl}`;
    case 'enrollment.completed':
      return `enrolled with ${event.providerId} at ${event.managementUrl} (certificate ${event.certificateThumbprint})`;
    case 'enrollment.failed':
      return `enrollment failed at ${event.stage}${event.status === 0 ? '' : ` (HTTP ${event.status})`}: ${event.reason}`;
    case 'unenrolled':
      return `unenrolled from ${event.providerId} (${event.initiator === 'device' ? 'the device left' : 'the server removed the account'})`;
  }
}

/** One readable line: time, device, type, explanation. */
export function toTextLine(event: TimelineEvent): string {
  return `${formatInstant(event.time)}  ${(event.device ?? '(cloud)').padEnd(10)} ${event.type.padEnd(22)} ${describe(event)}`;
}
