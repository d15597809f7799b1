import { describe, expect, it } from 'vitest';
import {
  crossingLevel,
  DEFAULT_POWER,
  nextPowerCrossing,
  nextSaverCrossing,
  nextZeroCrossing,
  offAt,
  type PowerState,
} from '../../src/core/device/power.js';
import { holdReason } from '../../src/core/device/wns-priority.js';
import { HOUR } from '../../src/core/time/iso.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const state = (o: Partial<PowerState>): PowerState => ({ ...DEFAULT_POWER, since: T0, ...o });

describe('power arithmetic', () => {
  it('reaches the saver threshold first, then 0 %: the next crossing is the earlier', () => {
    const s = state({ level: 50, charging: false, drainPerHour: 10, saverThreshold: 20 });
    expect(nextSaverCrossing(s, T0)).toBe(T0 + 3 * HOUR);
    expect(nextZeroCrossing(s, T0)).toBe(T0 + 5 * HOUR);
    expect(nextPowerCrossing(s, T0)).toBe(T0 + 3 * HOUR);
    expect(nextPowerCrossing(s, T0 + 4 * HOUR)).toBe(T0 + 5 * HOUR);
  });

  it('is off only when empty and not charging; charging has no crossing', () => {
    expect(offAt(state({ level: 0, charging: false }), T0)).toBe(true);
    expect(offAt(state({ level: 0, charging: true }), T0)).toBe(false);
    expect(offAt(state({ level: 1, charging: false, drainPerHour: 1 }), T0 + HOUR)).toBe(true);
    expect(nextPowerCrossing(state({ level: 0, charging: true }), T0)).toBeNull();
    expect(nextZeroCrossing(state({ level: 0, charging: false }), T0)).toBeNull();
  });

  it('snaps a level measured at a rounded crossing instant to the threshold it crossed', () => {
    const s = state({ level: 7, charging: false, drainPerHour: 3, saverThreshold: 5 });
    const zero = nextZeroCrossing(s, T0) as number;
    expect(crossingLevel(s, zero)).toBe(0);
    const saver = nextSaverCrossing(s, T0) as number;
    expect(crossingLevel(s, saver)).toBe(5);
  });
});

describe('the WNS priority table (WNS Notification Priorities)', () => {
  const view = (o: Partial<Parameters<typeof holdReason>[1]>) => ({
    charging: false,
    screenOn: false,
    saverOn: false,
    exempt: false,
    ...o,
  });

  it('screen on or plugged in: every priority is delivered', () => {
    for (const p of [1, 2, 3, 4] as const) {
      expect(holdReason(p, view({ screenOn: true }))).toBeNull();
      expect(holdReason(p, view({ charging: true }))).toBeNull();
    }
  });

  it('screen off on battery: High delivered, Medium and Low only when exempt, Very Low held', () => {
    expect(holdReason(1, view({}))).toBeNull();
    expect(holdReason(2, view({}))).toBe('screen-off-on-battery');
    expect(holdReason(3, view({}))).toBe('screen-off-on-battery');
    expect(holdReason(2, view({ exempt: true }))).toBeNull();
    expect(holdReason(3, view({ exempt: true }))).toBeNull();
    expect(holdReason(4, view({ exempt: true }))).toBe('screen-off-on-battery');
  });

  it('Battery Saver: everything held unless exempt, Very Low always, screen on or not', () => {
    for (const screenOn of [true, false]) {
      for (const p of [1, 2, 3] as const) {
        expect(holdReason(p, view({ saverOn: true, screenOn }))).toBe('battery-saver');
        expect(holdReason(p, view({ saverOn: true, screenOn, exempt: true }))).toBeNull();
      }
      expect(holdReason(4, view({ saverOn: true, screenOn, exempt: true }))).toBe('battery-saver');
    }
  });
});
