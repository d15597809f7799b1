import { ValidationError } from '../../core/errors.js';
import { Simulation, type SimulationSpec } from '../../core/simulation.js';
import { formatInstant } from '../../core/time/iso.js';
import { loadScenario } from '../../scenario/load.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../io.js';
import { TimelineWriter, type TimelineFilter, type TimelineFormat } from '../timeline-writer.js';

export interface RunOptions {
  readonly seed?: number;
  readonly format: TimelineFormat;
  readonly until?: string;
  readonly filter?: TimelineFilter;
}

/** Reads and resolves a scenario file; problems become a {@link UsageError} naming the file. */
export function readScenario(
  io: CliIo,
  file: string,
  options: { seed?: number; until?: string },
): SimulationSpec {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    throw new UsageError(
      `cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return loadScenario(text, options, file);
  } catch (e) {
    if (e instanceof ValidationError)
      throw new UsageError(
        `${file} is not a valid scenario:\n${e.issues.map((i) => `  ${i}`).join('\n')}`,
      );
    throw e;
  }
}

/** Runs a resolved spec on the virtual clock and writes its timeline. Returns the events written. */
export function runSpec(
  io: CliIo,
  spec: SimulationSpec,
  title: string,
  options: RunOptions,
): number {
  const writer = new TimelineWriter(io.stdout, options.format, options.filter);
  if (options.format === 'text') {
    io.stdout(
      `# ${title}: ${spec.devices.length} device${spec.devices.length === 1 ? '' : 's'}, seed ${spec.seed}, ${formatInstant(spec.start)} → ${formatInstant(spec.end)}\n`,
    );
  }
  new Simulation(spec, writer).run();
  writer.flush();
  if (options.format === 'text') io.stdout(`# ${writer.count} events\n`);
  return writer.count;
}

export function runCommand(io: CliIo, file: string, options: RunOptions): void {
  const spec = readScenario(io, file, { seed: options.seed, until: options.until });
  runSpec(io, spec, file, options);
}
