/**
 * Advancing the live fleet's virtual clock through the control API: bounded, one at a time, and
 * cancellable.
 *
 * - `POST /api/clock/advance {"duration"}` skips time up to `duration` from now, at most
 *   {@link DEFAULT_MAX_ADVANCE} (`dmpush serve --max-advance`); longer, or past what a clock can
 *   hold, is a 400 naming the field and the maximum.
 * - One advance runs at a time: a second one is a 409 saying so and how to stop the first.
 * - It stops on `DELETE /api/clock/advance`, when its client disconnects, and when the server
 *   closes (`SIGTERM`); what it ran stays run (and is committed like any change).
 * - It computes in slices of {@link ADVANCE_SLICE_MS} of real time, between which the event loop
 *   serves other requests, signals and the state store's commits.
 *
 * @module
 */
import type { Clock } from '../../core/time/clock.js';
import { addDuration, formatInstant, LAST_INSTANT, parseDuration } from '../../core/time/iso.js';
import type { IdleAwareRunResult, VirtualClock } from '../../core/time/virtual-clock.js';
import { JSON_BODY } from './body-policy.js';
import { clockAdvanceBody, parseBody } from './control-bodies.js';
import type { Exchange } from './exchange.js';
import { HttpError } from './http-util.js';
import { show } from './json-body.js';
import type { Route } from './route-table.js';

/**
 * The longest one advance may skip by default: five years hold some 60 ChannelURI lifetimes (30
 * days each), 60 Data Sense cycles and every poll schedule, and a small fleet runs them in a few
 * minutes of real time. Longer runs are several advances, or a larger `--max-advance`.
 */
export const DEFAULT_MAX_ADVANCE = 'P5Y';

/** Real milliseconds an advance computes before it lets the event loop take a turn. */
const ADVANCE_SLICE_MS = 20;

/** What stopped an advance before its target: `DELETE`, its client leaving, the server closing. */
type AdvanceStop = 'delete' | 'disconnect' | 'shutdown';

/** Options of {@link ClockAdvance}. */
export interface ClockAdvanceOptions {
  /** The longest one advance may skip, an ISO 8601 duration (default {@link DEFAULT_MAX_ADVANCE}). */
  readonly maxAdvance?: string | undefined;
  /** Real milliseconds between turns of the event loop (default {@link ADVANCE_SLICE_MS}). */
  readonly sliceMs?: number;
  /** Told when an advance ended (the clock changed). */
  readonly touched: () => void;
}

/** The advance that runs. */
interface Running {
  readonly from: number;
  readonly target: number;
  readonly controller: AbortController;
  stop: AdvanceStop | null;
  result: IdleAwareRunResult | null;
  /** Settles once its client was answered (or left). */
  readonly done: Promise<void>;
}

/** The system-clock refusal (both routes). */
const SYSTEM_CLOCK = 'the fleet runs on the system clock: only a virtual clock can be advanced';

/**
 * A pause (see `IdleAwareRunOptions.pause`) that lets the event loop take a turn once `sliceMs`
 * of real time have passed since the last one: I/O callbacks (requests, signals) run, then the
 * advance goes on.
 */
function realTimeSlices(sliceMs: number): () => Promise<void> | undefined {
  let end = performance.now() + sliceMs;
  return () => {
    if (performance.now() < end) return undefined;
    return new Promise((resolve) => {
      // A turn of the event loop (after its I/O), not a timer: no time is measured by it.
      // eslint-disable-next-line no-restricted-syntax
      setImmediate(() => {
        end = performance.now() + sliceMs;
        resolve();
      });
    });
  };
}

/** The control API's advances of the clock: their routes, and their stop when the server closes. */
export class ClockAdvance {
  private running: Running | null = null;
  private closing = false;
  private readonly max: string;

  constructor(
    private readonly clock: Clock,
    private readonly options: ClockAdvanceOptions,
  ) {
    this.max = options.maxAdvance ?? DEFAULT_MAX_ADVANCE;
    if (parseDuration(this.max) === null)
      throw new RangeError(`maxAdvance: expected an ISO 8601 duration, got ${show(this.max)}`);
  }

  /** `POST` and `DELETE /api/clock/advance`. */
  routes(): Route[] {
    return [
      { method: 'POST', path: '/api/clock/advance', body: JSON_BODY, handle: (x) => this.start(x) },
      { method: 'DELETE', path: '/api/clock/advance', handle: (x) => this.cancel(x) },
    ];
  }

  /** Stops the running advance, if any, and refuses new ones; resolves once it has stopped. */
  async close(): Promise<void> {
    this.closing = true;
    const running = this.running;
    if (!running) return;
    this.stop(running, 'shutdown');
    await running.done;
  }

  private async start(x: Exchange): Promise<void> {
    const { duration } = parseBody(clockAdvanceBody, x.json());
    const clock = this.virtual();
    if (this.closing) throw new HttpError(503, 'dmpush serve is stopping: no advance starts');
    if (this.running) throw new HttpError(409, this.busy(this.running));
    const from = clock.now();
    const target = this.target(duration, from);
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const running: Running = {
      from,
      target,
      controller: new AbortController(),
      stop: null,
      result: null,
      done,
    };
    this.running = running;
    const left = (): void => {
      if (!x.res.writableFinished) this.stop(running, 'disconnect');
    };
    x.res.once('close', left);
    try {
      running.result = await clock.runIdleAware(target, {
        signal: running.controller.signal,
        pause: realTimeSlices(this.options.sliceMs ?? ADVANCE_SLICE_MS),
      });
      this.options.touched();
      // Answered even to a client that left: the answer's commit is what saves the advance.
      x.sendJson(200, this.outcome(running));
    } finally {
      x.res.off('close', left);
      this.running = null;
      settle();
    }
  }

  private async cancel(x: Exchange): Promise<void> {
    const clock = this.virtual();
    const running = this.running;
    if (!running)
      throw new HttpError(
        409,
        `no advance is running (the clock is at ${formatInstant(clock.now())}): nothing to stop`,
      );
    this.stop(running, 'delete');
    await running.done;
    x.sendJson(200, this.outcome(running));
  }

  private stop(running: Running, why: AdvanceStop): void {
    running.stop ??= why;
    running.controller.abort();
  }

  /** The clock, when it is virtual; a 409 otherwise. */
  private virtual(): VirtualClock {
    if (this.clock.mode !== 'virtual') throw new HttpError(409, SYSTEM_CLOCK);
    return this.clock as VirtualClock;
  }

  /** The instant `duration` after `from`, checked against the limit; a 400 naming the field. */
  private target(duration: string, from: number): number {
    const d = parseDuration(duration);
    const target = d === null ? NaN : addDuration(from, d);
    if (target < from)
      throw new HttpError(400, `duration: expected zero or more, got ${show(duration)}`);
    const limit = addDuration(from, parseDuration(this.max) as NonNullable<typeof d>);
    const fits = Number.isFinite(target) && Math.abs(target) <= LAST_INSTANT;
    if (!fits || target > limit)
      throw new HttpError(
        400,
        `duration: ${show(duration)} is longer than one advance may skip: at most ${this.max} ` +
          `(dmpush serve --max-advance); advance in steps`,
      );
    return target;
  }

  /** The 409 of a second advance. */
  private busy(running: Running): string {
    return (
      `an advance is already running (from ${formatInstant(running.from)} to ` +
      `${formatInstant(running.target)}, now at ${formatInstant(this.clock.now())}): wait for ` +
      `its answer, or stop it with DELETE /api/clock/advance`
    );
  }

  /** What an ended advance answers (its own client, and a `DELETE`). */
  private outcome(running: Running): Record<string, unknown> {
    const completed = running.result !== null && !running.result.stopped;
    return {
      now: formatInstant(this.clock.now()),
      from: formatInstant(running.from),
      target: formatInstant(running.target),
      completed,
      ...(completed ? {} : { cancelled: running.stop ?? 'shutdown' }),
      events: running.result?.events ?? 0,
    };
  }
}
