#!/usr/bin/env node
import { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { failure } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { addDemoCommand } from './program/demo.js';
import { addRunCommand } from './program/run.js';
import { addScheduleCommand } from './program/schedule.js';
import { addServeCommand } from './program/serve.js';
import { addCheckCommand } from './program/check.js';
import { addWnsCommand } from './program/wns.js';
import { VERSION } from './version.js';

/** Builds the `dmpush` program writing to `io`; each command's options are in `program/`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('dmpush')
    .description(
      "Simulate Windows devices' push-initiated device management: DMClient ChannelURI renewal and retry timing, WNS, Battery Saver, Data Sense, polling.",
    )
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  for (const add of [
    addRunCommand,
    addScheduleCommand,
    addDemoCommand,
    addWnsCommand,
    addServeCommand,
    addCheckCommand,
  ])
    add(program, io);
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code: 0 on success,
 * else the status `exit-codes.ts` maps the error to (2 for usage and validation, 1 for anything
 * else).
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    io.stdout(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    const { status, message } = failure(e);
    if (message !== null) io.stderr(message);
    return status;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  process.exitCode = await runCli(process.argv.slice(2));
}
