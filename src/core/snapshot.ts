/**
 * Durable state (issue 5 §4): a virtual-clock {@link Simulation} snapshotted at an instant into
 * plain, JSON-serialisable data, and restored into a new simulation of the same spec that goes on
 * exactly as the original would have (same timeline, byte for byte).
 *
 * Pending timers are saved by role (a device's renewal, a cached notification's TTL, a scenario
 * action…) with their instant and their place in the clock's order (`seq`); a restore re-arms
 * them sorted by `seq`, so timers due at the same instant still run in their original order.
 * Random streams are saved as generator states.
 *
 * The saved shapes and their schemas are in `snapshot-schema.ts`; {@link parseSnapshot} checks
 * data read back against them.
 *
 * @module
 */
import { ValidationError } from './errors.js';
import {
  SNAPSHOT_VERSION,
  snapshotSchemaFor,
  snapshotVersionSchema,
  type SimulationSnapshot,
  type SnapshotContext,
  type TimerSnapshot,
} from './snapshot-schema.js';
import type { OrderedClock, Timer } from './time/clock.js';
import { formatIssues } from './validation.js';

export { SNAPSHOT_VERSION };
export type {
  DeviceState,
  InMemoryMdmState,
  SimulationSnapshot,
  SnapshotContext,
  TimerSnapshot,
  WnsCloudState,
  WnsDevicePart,
} from './snapshot-schema.js';

/** Re-arms one saved timer: called by a restore, in the original clock order, with `rearm`. */
export type ArmTimer = (timer: TimerSnapshot, rearm: () => void) => void;

/** A function giving a pending timer's instant and rank on `clock` (null: ran or cancelled). */
export function timerSnapshots(clock: OrderedClock): (t: Timer | null) => TimerSnapshot | null {
  return (t) => {
    const seq = clock.orderOf(t);
    return seq === null || t === null ? null : { at: t.at, seq };
  };
}

/**
 * Collects the timers a restore re-arms (from any number of parts: devices, the cloud, the
 * scenario's actions) and re-arms them all in their saved clock order, so timers due at the same
 * instant run as they would have. On the system clock, timers whose instant passed while the
 * process was stopped run at once, in that order.
 */
export class TimerRestore {
  private readonly pending: { at: number; seq: number; rearm: () => void }[] = [];

  /** Pass as a part's `arm` callback. */
  readonly arm: ArmTimer = (timer, rearm) =>
    void this.pending.push({ at: timer.at, seq: timer.seq, rearm });

  /**
   * Re-arms every collected timer. Timers still ahead keep their saved rank (a restore on the
   * virtual clock goes on exactly as before). Timers whose instant passed (the clock went on
   * while the process was stopped) come first, in the order they fell due: they run at once.
   * The clock's next rank is then at least `nextSeq`.
   */
  replay(clock: OrderedClock, nextSeq: number): void {
    const now = clock.now();
    const overdue = this.pending
      .filter((p) => p.at < now)
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    const ahead = this.pending.filter((p) => p.at >= now).sort((a, b) => a.seq - b.seq);
    for (const p of overdue) p.rearm();
    for (const p of ahead) {
      // Each re-arm schedules one timer: it gets its saved rank (or the next free one).
      if (p.seq > clock.nextSeq) clock.setNextSeq(p.seq);
      p.rearm();
    }
    this.pending.length = 0;
    if (nextSeq > clock.nextSeq) clock.setNextSeq(nextSeq);
  }
}

// ---- validation -----------------------------------------------------------------------------------

/** At most this many problems are listed (a damaged file may have one per timer). */
const MAX_ISSUES = 20;

/**
 * Checks that `data` is a {@link SimulationSnapshot} of version {@link SNAPSHOT_VERSION} made from
 * a spec like `context`, and returns it typed. Throws {@link ValidationError} naming the path of
 * each problem (e.g. `snapshot.devices[2].power.level: expected a finite number, got nothing`).
 */
export function parseSnapshot(data: unknown, context: SnapshotContext): SimulationSnapshot {
  const version = snapshotVersionSchema.safeParse(data, { reportInput: true });
  if (!version.success) throw new ValidationError(formatIssues(version.error, 'snapshot'));
  const result = snapshotSchemaFor(context).safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issues = formatIssues(result.error, 'snapshot');
  throw new ValidationError(
    issues.length <= MAX_ISSUES
      ? issues
      : [
          ...issues.slice(0, MAX_ISSUES),
          `snapshot: and ${issues.length - MAX_ISSUES} more problems`,
        ],
  );
}
