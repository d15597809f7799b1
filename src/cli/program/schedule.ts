/** `dmpush schedule`: its options. */
import type { Command } from 'commander';
import { scheduleCommand } from '../commands/schedule.js';
import type { CliIo } from '../io.js';
import { seedArg } from './arguments.js';

/** Adds `dmpush schedule` to `program`; it runs with `io`. */
export function addScheduleCommand(program: Command, io: CliIo): void {
  program
    .command('schedule')
    .description(
      'print the renewal decision the DMClient takes at a given time (the retry rules of 1511, and of 1607 and later)',
    )
    .requiredOption(
      '--os <version>',
      'Windows version: 1511, 1607, 1703 … 22H2, or Windows 11 as 11-21H2 … 11-25H2',
    )
    .requiredOption('--now <time>', 'decision time, ISO 8601 (e.g. 2026-01-20T00:00:00Z)')
    .requiredOption('--expiry <time>', 'channel ExpiryTime, ISO 8601, or "none" for no channel')
    .option('--network <state>', 'network connectivity: up or down', 'up')
    .option('--seed <n>', 'seed for the draw within the window', seedArg, 1)
    .option('--json', 'print one JSON object {"os","rule","at","earliest","latest"}', false)
    .action(
      (o: {
        os: string;
        now: string;
        expiry: string;
        network: string;
        seed: number;
        json: boolean;
      }) => scheduleCommand(io, o),
    );
}
