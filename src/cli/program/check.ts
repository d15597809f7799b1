/** `dmpush check`: grade an MDM server against Microsoft's push recommendations. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { checkCommand, CHECK_FORMATS, type CheckFormat } from '../commands/check.js';
import { DEFAULT_ENROLL_EMAIL } from '../commands/serve.js';
import type { CliIo } from '../io.js';
import { list, portArg, providerIdArg, seedArg } from './arguments.js';
import { addEnrollOptions, enrollConfig, type EnrollFlags } from './enroll.js';

/** The options of `check`, as Commander hands them over. */
export interface CheckFlags extends EnrollFlags {
  mdmUrl?: string;
  providerId: string;
  pfn?: string;
  apps?: string;
  wnsPort: number;
  triggerCmd?: string;
  triggerUrl?: string;
  only?: string[];
  skip?: string[];
  format: CheckFormat;
  out?: string;
  seed: number;
  timeout: number;
  verbose: boolean;
}

/** `--timeout <seconds>`: a whole number of seconds from 1 to 600. */
function secondsArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 600)
    throw new InvalidArgumentError(
      `expected whole seconds from 1 to 600, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** Adds `dmpush check` to `program`; it runs with `io`. */
export function addCheckCommand(program: Command, io: CliIo): void {
  const command = program
    .command('check')
    .description(
      "grade an MDM server against Microsoft's push recommendations: a few devices on a virtual clock play the situations that matter (renewal, expiry offline, 401, 406, 410…) and a report card says what passed (exit 0: no check failed, 1: one did, 2: usage)",
    )
    .option(
      '--mdm-url <url>',
      'your management server, for devices managed without enrollment (default: check the reference MDM server; with --enroll-url: where the provisioning document says)',
    )
    .option(
      '--provider-id <id>',
      "the devices' DMClient ProviderID: your server's (it writes ./Vendor/MSFT/DMClient/Provider/<id>/...)",
      providerIdArg,
      'DMPUSH',
    )
    .option(
      '--pfn <pfn>',
      'the PFN your server sets on devices (an app of --apps; default the first)',
    )
    .option(
      '--apps <file>',
      "the emulator's apps: a YAML or JSON list of {pfn, sid, secret} your server sends as (default: the built-in demo app)",
    )
    .option(
      '--wns-port <n>',
      "the WNS emulator's port: your server's token endpoint is http://127.0.0.1:<n>/accesstoken.srf (0 = any free port)",
      portArg,
      0,
    )
    .option(
      '--trigger-cmd <cmd>',
      'a shell command that makes your server push to a device: {deviceId} and {channelUri} (also $DMPUSH_DEVICE_ID, $DMPUSH_CHANNEL_URI) name it',
    )
    .option(
      '--trigger-url <"METHOD URL">',
      'an HTTP request that makes your server push to a device, e.g. "POST http://127.0.0.1:8000/push/{deviceId}" (placeholders URL-encoded)',
    )
    .option('--only <ids>', 'run only these checks (comma-separated ids)', list)
    .option('--skip <ids>', 'leave out these checks (comma-separated ids)', list)
    .addOption(
      new Option('--format <format>', 'report format').choices(CHECK_FORMATS).default('text'),
    )
    .option('--out <file>', 'write the report to this file (default: standard output)')
    .option('--seed <n>', "seed of the devices' random draws", seedArg, 1)
    .option(
      '--timeout <seconds>',
      'real seconds to wait for your server to act (answer a session, push after a trigger)',
      secondsArg,
      10,
    )
    .option('--verbose', 'text report: print the evidence of every check', false);
  addEnrollOptions(command).action((o: CheckFlags, cmd: Command) => {
    const fromEnv = new Set(
      (['enrollPassword', 'enrollToken'] as const).filter(
        (k) => cmd.getOptionValueSource(k) === 'env',
      ),
    );
    return checkCommand(io, o, enrollConfig(o, DEFAULT_ENROLL_EMAIL, fromEnv));
  });
}
