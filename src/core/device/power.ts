import { HOUR } from '../time/iso.js';

/** Battery and Battery Saver settings of a device (scenario field `battery`). */
export interface PowerConfig {
  /** Battery level in percent, 0–100. */
  readonly level: number;
  readonly charging: boolean;
  /** Percent lost per hour while not charging. */
  readonly drainPerHour: number;
  /** Percent gained per hour while charging. */
  readonly chargePerHour: number;
  /** Battery Saver turns on at or below this level while not charging (Windows default 20 %). */
  readonly saverThreshold: number;
  /** The manual "Battery Saver on" switch. */
  readonly saverSwitch: boolean;
  /**
   * The DMClient's notifications are exempt from Battery Saver: the user's "Always allowed" (WNS
   * overview) or "Allow the app to run background tasks" (WNS Notification Priorities), one
   * switch (scenario `wnsPriorityExempt`, old spelling `battery.pushAllowedInSaver`). Off by
   * default: Battery Saver then ends the connection, as the seed says, and the priority table
   * holds Medium and Low pushes while the screen is off on battery.
   */
  readonly pushAllowedInSaver: boolean;
}

export const DEFAULT_POWER: PowerConfig = {
  level: 80,
  charging: false,
  drainPerHour: 1.5,
  chargePerHour: 25,
  saverThreshold: 20,
  saverSwitch: false,
  pushAllowedInSaver: false,
};

/**
 * Power state: the config with its level measured at `since`. Levels move linearly between. It is
 * the device's own mutable record (a fleet updates it millions of times).
 */
export type PowerState = { -readonly [K in keyof PowerConfig]: PowerConfig[K] } & { since: number };

/** The battery level at `t` (linear drain or charge, clamped to 0–100). */
export function levelAt(s: PowerState, t: number): number {
  const hours = (t - s.since) / HOUR;
  if (s.charging) return Math.min(100, s.level + s.chargePerHour * hours);
  return Math.max(0, s.level - s.drainPerHour * hours);
}

/** Battery Saver is on while not charging and either switched on or at/below the threshold. */
export function saverOnAt(s: PowerState, t: number): boolean {
  if (s.charging) return false;
  return s.saverSwitch || levelAt(s, t) <= s.saverThreshold;
}

/**
 * When Battery Saver will next turn on by itself (the level draining down to the threshold), or
 * null if it will not without another change. Charging never turns it on.
 */
export function nextSaverCrossing(s: PowerState, t: number): number | null {
  if (s.charging || s.saverSwitch || s.drainPerHour <= 0) return null;
  const level = levelAt(s, t);
  if (level <= s.saverThreshold) return null;
  return t + Math.round(((level - s.saverThreshold) / s.drainPerHour) * HOUR);
}

/** Re-measures a state at `t` in place: the same trajectory, measured from `t`. */
export function settle(s: PowerState, t: number, level = levelAt(s, t)): void {
  s.level = level;
  s.since = t;
}

/** The device is off: its battery is empty and it is not charging (docs/model.md §4). */
export function offAt(s: PowerState, t: number): boolean {
  return !s.charging && levelAt(s, t) <= 0;
}

/** When the battery will next reach 0 % (and the device goes off), or null if it will not. */
export function nextZeroCrossing(s: PowerState, t: number): number | null {
  if (s.charging || s.drainPerHour <= 0) return null;
  const level = levelAt(s, t);
  if (level <= 0) return null;
  return t + Math.round((level / s.drainPerHour) * HOUR);
}

/**
 * The next instant the power state changes by itself: Battery Saver turning on, or the battery
 * reaching 0 %; null if neither will. Reaching 100 % changes nothing, so it needs no timer.
 */
export function nextPowerCrossing(s: PowerState, t: number): number | null {
  const saver = nextSaverCrossing(s, t);
  const zero = nextZeroCrossing(s, t);
  if (saver === null) return zero;
  return zero === null ? saver : Math.min(saver, zero);
}

/** A level measured at a crossing instant, snapped to the threshold it crossed (rounding). */
export function crossingLevel(s: PowerState, t: number): number {
  const level = levelAt(s, t);
  if (Math.abs(level - s.saverThreshold) < 1e-3) return s.saverThreshold;
  return Math.abs(level) < 1e-3 ? 0 : level;
}
