/**
 * The device's notification platform deciding, per raw push that reached it, whether the DMClient
 * gets it now or later: the "Detailed listing of desktop behavior" table of Microsoft's "WNS
 * Notification Priorities" (docs/model.md §11).
 *
 * @module
 */

/** `X-WNS-PRIORITY`: 1 High, 2 Medium, 3 Low (the default for raw), 4 Very Low. */
export type WnsPriority = 1 | 2 | 3 | 4;

/** The priority of a raw notification that does not set one ([PRIO]: "Low … Raw"). */
export const DEFAULT_RAW_PRIORITY: WnsPriority = 3;

/** Why the platform holds a push instead of handing it to the DMClient. */
export type HoldReason = 'screen-off-on-battery' | 'battery-saver';

/** What the table looks at. */
export interface PowerView {
  readonly charging: boolean;
  readonly screenOn: boolean;
  readonly saverOn: boolean;
  /** The user exempted the app (see `PowerConfig.pushAllowedInSaver`). */
  readonly exempt: boolean;
}

/**
 * Why a push of `priority` is held in state `v`, or null when it is delivered. Battery Saver's
 * row comes first (it is the narrower state: in it "only the most important notifications should
 * be delivered"); then "Screen On OR plugged in" delivers everything; then "Screen Off AND on
 * battery" delivers High, Medium and Low only when exempted, and caches Very Low.
 */
export function holdReason(priority: WnsPriority, v: PowerView): HoldReason | null {
  if (v.saverOn) return priority === 4 || !v.exempt ? 'battery-saver' : null;
  if (v.screenOn || v.charging) return null;
  if (priority === 1) return null;
  if (priority === 4) return 'screen-off-on-battery';
  return v.exempt ? null : 'screen-off-on-battery';
}

/** A push the platform holds for the DMClient. */
export interface HeldPush {
  readonly msgId: string;
  readonly channelUri: string;
  readonly priority: WnsPriority;
  /** It had waited in the WNS cache before it reached the device. */
  readonly cached: boolean;
  readonly heldAt: number;
  /** The cache's deadline computed by WNS (TTL, maximum age), or null for none. */
  readonly expiresAt: number | null;
}
