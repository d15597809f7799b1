/** `dmpush run <scenario>`: its arguments and options. */
import type { Command } from 'commander';
import { runCommand } from '../commands/run.js';
import type { CliIo } from '../io.js';
import {
  formatOption,
  list,
  outOption,
  seedArg,
  timelineOptions,
  type TimelineFlags,
} from './arguments.js';

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
    .action((scenario: string, o: TimelineFlags) => runCommand(io, scenario, timelineOptions(o)));
}
