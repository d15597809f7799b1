/**
 * The lanes of a device and the legend of the timeline view: which lane holds which rows, and
 * what each kind and variant of item means (the browser colours items by kind and variant).
 */
import type { ItemKind, LaneKind } from './timeline-types.js';

/** A lane of a device: its kind and label. */
export interface LaneInfo {
  readonly kind: LaneKind;
  readonly label: string;
  /**
   * Shown only for a device that had an event of the lane (a fleet managed without enrollment
   * keeps its timeline as it was).
   */
  readonly optional?: true;
}

/** The lanes of a device, top to bottom, with their labels. */
export const LANES: readonly LaneInfo[] = [
  { kind: 'enrollment', label: 'Enrollment', optional: true },
  { kind: 'wns', label: 'WNS connection' },
  { kind: 'power', label: 'Battery' },
  { kind: 'data-sense', label: 'Data Sense' },
  { kind: 'network', label: 'Network' },
  { kind: 'channel', label: 'ChannelURI' },
  { kind: 'renewal', label: 'Renewal' },
  { kind: 'push', label: 'Pushes' },
  { kind: 'session', label: 'Sessions' },
];

/** The rows of each lane, top to bottom (e.g. renewal windows above attempts). */
export const LANE_ROWS: Readonly<Record<LaneKind, readonly string[]>> = {
  enrollment: ['attempt', 'enrolled'],
  wns: ['wns'],
  power: ['level', 'saver', 'screen'],
  'data-sense': ['data-sense'],
  network: ['network'],
  channel: ['channel', 'status'],
  renewal: ['window', 'attempt'],
  push: ['push'],
  session: ['session'],
};

/** One entry of the legend: the items of `kind` and `variant` look like this. */
export interface LegendEntry {
  readonly lane: LaneKind | 'cloud';
  readonly kind: ItemKind;
  readonly variant: string;
  readonly label: string;
  readonly point?: boolean;
}

export const LEGEND: readonly LegendEntry[] = [
  {
    lane: 'enrollment',
    kind: 'enrollment',
    variant: 'enrolling',
    label: 'enrolling (discovery → policy → enroll)',
  },
  { lane: 'enrollment', kind: 'enrollment', variant: 'failed', label: 'enrollment failed (stage)' },
  { lane: 'enrollment', kind: 'enrollment', variant: 'enrolled', label: 'enrolled (provider)' },
  {
    lane: 'enrollment',
    kind: 'enrollment',
    variant: 'unenrolled',
    label: 'unenrolled',
    point: true,
  },
  { lane: 'wns', kind: 'wns', variant: 'up', label: 'WNS connected' },
  { lane: 'wns', kind: 'wns', variant: 'down', label: 'WNS down (reason on the band)' },
  { lane: 'power', kind: 'battery', variant: 'high', label: 'battery > 50 %' },
  { lane: 'power', kind: 'battery', variant: 'mid', label: 'battery 21–50 %' },
  { lane: 'power', kind: 'battery', variant: 'low', label: 'battery ≤ 20 %' },
  { lane: 'power', kind: 'battery-saver', variant: 'on', label: 'Battery Saver on' },
  { lane: 'power', kind: 'screen', variant: 'off', label: 'screen off' },
  { lane: 'power', kind: 'screen', variant: 'device-off', label: 'device off (empty battery)' },
  { lane: 'data-sense', kind: 'data-sense', variant: 'limit', label: 'Data Sense limit reached' },
  { lane: 'network', kind: 'network', variant: 'online', label: 'network with internet' },
  { lane: 'network', kind: 'network', variant: 'no-internet', label: 'network, no internet' },
  { lane: 'network', kind: 'network', variant: 'offline', label: 'no network' },
  { lane: 'channel', kind: 'channel', variant: 'valid', label: 'ChannelURI lifetime' },
  { lane: 'channel', kind: 'channel', variant: 'none', label: 'no valid ChannelURI' },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'fifteen-day-mark',
    label: 'waiting for the 15-day mark',
  },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'within-fifteen-days',
    label: 'window: 4 ± 1 h (≤ 15 days left)',
  },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'expired',
    label: 'window: 1 day ± 4 h (no valid channel)',
  },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'no-network',
    label: 'window: 4 ± 1 h (1607, no network)',
  },
  {
    lane: 'renewal',
    kind: 'renewal-attempt',
    variant: 'succeeded',
    label: 'attempt succeeded',
    point: true,
  },
  {
    lane: 'renewal',
    kind: 'renewal-attempt',
    variant: 'failed',
    label: 'attempt failed',
    point: true,
  },
  {
    lane: 'renewal',
    kind: 'renewal-attempt',
    variant: 'skipped',
    label: 'attempt skipped',
    point: true,
  },
  { lane: 'push', kind: 'push', variant: 'delivered', label: 'push delivered', point: true },
  {
    lane: 'push',
    kind: 'push',
    variant: 'delivered-from-cache',
    label: 'push cached, then delivered',
  },
  { lane: 'push', kind: 'push', variant: 'cached', label: 'push still cached' },
  { lane: 'push', kind: 'push', variant: 'dropped', label: 'push dropped', point: true },
  { lane: 'push', kind: 'push', variant: 'expired', label: 'push expired (TTL or cache age)' },
  { lane: 'push', kind: 'push', variant: 'rejected', label: 'push rejected', point: true },
  { lane: 'session', kind: 'session', variant: 'poll', label: 'session: poll', point: true },
  { lane: 'session', kind: 'session', variant: 'push', label: 'session: push', point: true },
  { lane: 'session', kind: 'session', variant: 'renewal', label: 'session: renewal', point: true },
  {
    lane: 'session',
    kind: 'session',
    variant: 'provisioned',
    label: 'session: provisioned',
    point: true,
  },
  {
    lane: 'session',
    kind: 'session',
    variant: 'enrolled',
    label: 'session: enrolled (first)',
    point: true,
  },
  {
    lane: 'session',
    kind: 'session',
    variant: 'unenroll',
    label: 'session: unenroll (Alert 1226)',
    point: true,
  },
  { lane: 'session', kind: 'session', variant: 'failed', label: 'session failed', point: true },
  {
    lane: 'session',
    kind: 'session',
    variant: 'skipped',
    label: 'session not possible',
    point: true,
  },
  { lane: 'cloud', kind: 'pfn-blocked', variant: 'blocked', label: 'PFN blocked by WNS' },
];
