import { Presets, SingleBar } from 'cli-progress';
import type { Simulation, SimulationSpec } from '../core/simulation.js';
import { DAY } from '../core/time/iso.js';

/** Runs shorter than this many simulated device-days finish too fast to need a bar. */
const PROGRESS_MIN_DEVICE_DAYS = 5000;
/** Steps of a run with a bar: the clock runs to each in turn. */
const STEPS = 100;

/** True when a run of `spec` is long enough to show a progress bar. */
export function isLongRun(spec: SimulationSpec): boolean {
  return (spec.devices.length * (spec.end - spec.start)) / DAY >= PROGRESS_MIN_DEVICE_DAYS;
}

/**
 * Runs a virtual-clock simulation to its end. With a terminal `stream` and a long run, the clock
 * runs in 100 steps and a progress bar (simulated day, events so far) is drawn on the stream and
 * cleared at the end; otherwise it runs in one go. The timeline is the same either way.
 */
export function runWithProgress(
  simulation: Simulation,
  spec: SimulationSpec,
  options: { stream?: NodeJS.WritableStream; label: string; events: () => number },
): void {
  if (!options.stream || !isLongRun(spec)) {
    simulation.run();
    return;
  }
  const days = Math.ceil((spec.end - spec.start) / DAY);
  const bar = new SingleBar(
    {
      stream: options.stream,
      format: `${options.label} [{bar}] {percentage}% | day {day}/${days} | {events} events`,
      clearOnComplete: true,
      hideCursor: true,
      // Redrawn at each step, not on a timer: the run keeps the thread busy.
      synchronousUpdate: true,
      fps: 1000,
    },
    Presets.shades_classic,
  );
  bar.start(STEPS, 0, { day: 0, events: 0 });
  for (let step = 1; step <= STEPS; step++) {
    const until = spec.start + ((spec.end - spec.start) * step) / STEPS;
    simulation.run(step === STEPS ? spec.end : Math.floor(until));
    bar.update(step, {
      day: Math.floor((until - spec.start) / DAY),
      events: options.events().toLocaleString('en-US'),
    });
  }
  bar.stop();
}
