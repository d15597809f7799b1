import { DateTime } from 'luxon';
import { HOUR } from '../time/iso.js';

/** Data Sense settings (scenario field `dataSense`). Usage counts on metered networks only. */
export interface DataSenseConfig {
  /** Monthly data limit in MB, or null for no limit. */
  readonly limitMB: number | null;
  /** Usage so far in this cycle, MB. */
  readonly usedMB: number;
  /** Background usage on a metered connection, MB per hour. */
  readonly backgroundMBPerHour: number;
  /** Day of the month (1–31) on which the cycle resets at 00:00; clamped to short months. */
  readonly resetDay: number;
  /** Data one management session uses, MB (an assumption, see docs/model.md). */
  readonly perSessionMB: number;
  /** Data one received push uses, MB (an assumption). */
  readonly perPushMB: number;
}

export const DEFAULT_DATA_SENSE: DataSenseConfig = {
  limitMB: null,
  usedMB: 0,
  backgroundMBPerHour: 0.5,
  resetDay: 1,
  perSessionMB: 0.2,
  perPushMB: 0.005,
};

/** Usage measured at `since`, growing at `rate` MB/h while `accruing`. */
export interface DataSenseState extends DataSenseConfig {
  readonly since: number;
  readonly accruing: boolean;
}

export function usedAt(s: DataSenseState, t: number): number {
  if (!s.accruing) return s.usedMB;
  const used = s.usedMB + (s.backgroundMBPerHour * (t - s.since)) / HOUR;
  return s.limitMB === null ? used : Math.min(used, Math.max(s.limitMB, s.usedMB));
}

export function limitReachedAt(s: DataSenseState, t: number): boolean {
  return s.limitMB !== null && usedAt(s, t) >= s.limitMB;
}

/** When background usage reaches the limit, or null if it will not without another change. */
export function nextLimitCrossing(s: DataSenseState, t: number): number | null {
  if (!s.accruing || s.limitMB === null || s.backgroundMBPerHour <= 0) return null;
  const used = usedAt(s, t);
  if (used >= s.limitMB) return null;
  return t + Math.round(((s.limitMB - used) / s.backgroundMBPerHour) * HOUR);
}

/** The next cycle reset strictly after `t`: `resetDay` at 00:00 in `zone`, clamped to the month's length. */
export function nextReset(t: number, resetDay: number, zone: string): number {
  if (zone === 'UTC') {
    // The common case without Luxon: plain UTC calendar arithmetic.
    const d = new Date(t);
    for (let k = 0; k < 3; k++) {
      const year = d.getUTCFullYear();
      const month = d.getUTCMonth() + k;
      const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      const at = Date.UTC(year, month, Math.min(resetDay, days));
      if (at > t) return at;
    }
  }
  const now = DateTime.fromMillis(t, { zone });
  for (let k = 0; k < 3; k++) {
    const month = now.startOf('month').plus({ months: k });
    const day = Math.min(resetDay, month.daysInMonth ?? 28);
    const at = month.set({ day }).startOf('day').toMillis();
    if (at > t) return at;
  }
  throw new Error('unreachable: a reset day always falls within three months');
}
