/** `dmpush run <scenario>`: its arguments and options. */
import type { Command } from 'commander';
import { runCommand } from '../commands/run.js';
import type { CliIo } from '../io.js';
import { SCENARIO_LIMITS } from '../../scenario/limits.js';
import {
  countArg,
  durationArg,
  formatOption,
  list,
  outOption,
  seedArg,
  timelineOptions,
  type TimelineFlags,
} from './arguments.js';

/** The flags that change a scenario's limits, as Commander hands them over. */
interface LimitFlags {
  maxDevices?: number;
  minInterval?: string;
  maxDuration?: string;
}

/** Adds `dmpush run` to `program`; it runs with `io`. */
export function addRunCommand(program: Command, io: CliIo): void {
  program
    .command('run')
    .description(
      'run a scenario file (YAML or JSON) on the virtual clock and print its timeline (or write the HTML report)',
    )
    .argument('<scenario>', 'scenario file')
    .option('--seed <n>', "run seed (overrides the file's)", seedArg)
    .addOption(formatOption())
    .addOption(outOption())
    .option('--until <time>', 'stop at an ISO time, or an ISO duration after the start (e.g. P20D)')
    .option('--device <ids>', 'only these devices (comma-separated; repeatable)', list)
    .option(
      '--type <types>',
      'only these event types or families, e.g. renewal,session.started',
      list,
    )
    .option(
      '--max-devices <n>',
      `refuse a scenario with more devices in all (default ${SCENARIO_LIMITS.maxDevices})`,
      countArg,
    )
    .option(
      '--min-interval <duration>',
      `refuse an every or cron event repeating more often, ISO 8601 (default ${SCENARIO_LIMITS.minInterval})`,
      durationArg,
    )
    .option(
      '--max-duration <duration>',
      `refuse a run longer than this from the start, ISO 8601 (default ${SCENARIO_LIMITS.maxDuration})`,
      durationArg,
    )
    .action((scenario: string, o: TimelineFlags & LimitFlags) =>
      runCommand(io, scenario, {
        ...timelineOptions(o),
        limits: {
          maxDevices: o.maxDevices,
          minInterval: o.minInterval,
          maxDuration: o.maxDuration,
        },
      }),
    );
}
