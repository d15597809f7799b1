/** `dmpush demo [name]`: its arguments and options. */
import type { Command } from 'commander';
import { demoCommand } from '../commands/demo.js';
import type { CliIo } from '../io.js';
import {
  formatOption,
  list,
  outOption,
  seedArg,
  timelineOptions,
  type TimelineFlags,
} from './arguments.js';

/** Adds `dmpush demo` to `program`; it runs with `io`. */
export function addDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'list the built-in edge-case demos, or run one (or --all; as HTML, one report with a section per demo)',
    )
    .argument('[name]', 'demo to run')
    .option('--all', 'run every demo', false)
    .option('--seed <n>', "run seed (overrides the demo's)", seedArg)
    .addOption(formatOption())
    .addOption(outOption())
    .option('--until <time>', 'stop at an ISO time, or an ISO duration after the start')
    .option('--device <ids>', 'only these devices', list)
    .option('--type <types>', 'only these event types or families', list)
    .action((name: string | undefined, o: TimelineFlags & { all: boolean }) =>
      demoCommand(io, name, { ...timelineOptions(o), all: o.all }),
    );
}
