#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoCommand } from './commands/demo.js';
import { runCommand } from './commands/run.js';
import { scheduleCommand } from './commands/schedule.js';
import { DEFAULT_FLEET_SIZE, DEFAULT_STATE_FILE, serveCommand } from './commands/serve.js';
import { wnsCommand } from './commands/wns.js';
import { parseDuration } from '../core/time/iso.js';
import { failure } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import type { OutputFormat } from './commands/run.js';

const VERSION = '0.1.0';

function seedArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1)
    throw new InvalidArgumentError(
      `expected a whole number from 0 to 2147483647, got ${JSON.stringify(value)}`,
    );
  return Number(value);
}

const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').filter(Boolean),
];

const formatOption = (): Option =>
  new Option(
    '--format <format>',
    'output: a text timeline (default), JSON lines, or the HTML report (default when --out ends in .html)',
  ).choices(['text', 'jsonl', 'html']);

const outOption = (): Option =>
  new Option('--out <file>', 'write to this file instead of standard output');

interface TimelineFlags {
  seed?: number;
  format?: OutputFormat;
  out?: string;
  until?: string;
  device?: string[];
  type?: string[];
}

const runOptions = (o: TimelineFlags) => ({
  seed: o.seed,
  format: o.format,
  out: o.out,
  until: o.until,
  filter: { devices: o.device, types: o.type },
});

/** Builds the `dmpush` program writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('dmpush')
    .description(
      "Simulate Windows devices' push-initiated device management: DMClient ChannelURI renewal and retry timing, WNS, Battery Saver, Data Sense, polling.",
    )
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

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
    .action((scenario: string, o: TimelineFlags) => runCommand(io, scenario, runOptions(o)));

  program
    .command('schedule')
    .description(
      'print the renewal decision the DMClient takes at a given time (the retry rules of 1511 and 1607)',
    )
    .requiredOption('--os <version>', '1511 or 1607 (1607 stands for 1607 and later)')
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
      demoCommand(io, name, { ...runOptions(o), all: o.all }),
    );

  program
    .command('wns')
    .description(
      "run the WNS emulator: token and notify endpoints, the admin API (/_sim/) and the devices' WebSocket endpoint",
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', portArg, 8080)
    .addOption(
      new Option(
        '--clock <clock>',
        'system time, or a virtual clock moved by POST /_sim/clock/advance',
      )
        .choices(['system', 'virtual'])
        .default('system'),
    )
    .option(
      '--apps <file>',
      'apps file: a YAML or JSON list of {pfn, sid, secret} (default: the built-in demo app)',
    )
    .option('--tls', 'serve HTTPS with a local CA (see the README, "TLS mode")', false)
    .option('--cert-dir <dir>', 'where the TLS CA and certificate are kept', '.dmpush/tls')
    .option(
      '--public-host <name>',
      'host name in issued channel URIs (e.g. db5.notify.windows.com)',
    )
    .option('--seed <n>', 'seed for fault draws', seedArg, 1)
    .option('--token-lifetime <duration>', 'access token lifetime, ISO 8601', durationArg, 'PT24H')
    .option('--channel-lifetime <duration>', 'channel lifetime, ISO 8601', durationArg, 'P30D')
    .option('--channel-rate <rate>', 'throttle per channel: <per second>/<burst>', rateArg, '1/30')
    .option('--app-rate <rate>', 'throttle per app: <per second>/<burst>', rateArg, '500/2000')
    .option(
      '--block-after <n>',
      'block a PFN after n rejected pushes (404, 406, 410) within an hour (default: never)',
      countArg,
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .action((o: WnsFlags) => wnsCommand(io, o));

  program
    .command('serve')
    .description(
      'run a live fleet: the WNS emulator, simulated devices on real WebSockets opening SyncML sessions, the reference MDM server (or yours) and the control API',
    )
    .option('--mdm-url <url>', 'your management server (default: run the reference MDM server)')
    .option(
      '--devices <n>',
      `devices in the built-in fleet (default ${DEFAULT_FLEET_SIZE}; not with --scenario)`,
      countArg,
    )
    .option('--scenario <file>', 'devices and events from a scenario file (times count from now)')
    .addOption(
      new Option(
        '--clock <clock>',
        'system time, or a virtual clock moved by POST /api/clock/advance',
      )
        .choices(['system', 'virtual'])
        .default('system'),
    )
    .option('--host <host>', 'address every server binds', '127.0.0.1')
    .option('--port <n>', 'control API port (0 = any free port)', portArg, 7070)
    .option('--wns-port <n>', 'WNS emulator port (0 = any free port)', portArg, 0)
    .option('--mdm-port <n>', 'reference MDM server port (0 = any free port)', portArg, 0)
    .option('--apps <file>', 'WNS apps file (default: the built-in demo app)')
    .option('--pfn <pfn>', 'preset Push/PFN on every device (with --mdm-url: your PFN)')
    .option('--seed <n>', 'seed of the fleet draws and device timings', seedArg)
    .option(
      '--stale-channel-uri',
      'the reference server reads Push/ChannelURI only once (the stale-channel mistake)',
      false,
    )
    .addOption(
      new Option('--push-alert <code>', 'Alert of package 1 in push-triggered sessions')
        .choices(['1201', '1200'])
        .default('1201'),
    )
    .option('--no-timeline', 'do not print the timeline as it happens')
    .option(
      '--state <file>',
      `keep the fleet in this SQLite file across restarts (default ${DEFAULT_STATE_FILE})`,
    )
    .option('--memory', 'keep no state: start afresh every time', false)
    .option(
      '--session-timeout <ms>',
      'real milliseconds a device waits for the server',
      countArg,
      30000,
    )
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to standard error)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('warn'),
    )
    .action((o: ServeFlags) => serveCommand(io, { ...o, sessionTimeoutMs: o.sessionTimeout }));

  return program;
}

interface ServeFlags {
  mdmUrl?: string;
  devices?: number;
  scenario?: string;
  clock: 'system' | 'virtual';
  host: string;
  port: number;
  wnsPort: number;
  mdmPort: number;
  apps?: string;
  pfn?: string;
  seed?: number;
  timeline: boolean;
  staleChannelUri: boolean;
  pushAlert: '1201' | '1200';
  sessionTimeout: number;
  logLevel: string;
  state?: string;
  memory: boolean;
}

interface WnsFlags {
  tokenLifetime: string;
  channelLifetime: string;
  channelRate: string;
  appRate: string;
  blockAfter?: number;
  host: string;
  port: number;
  clock: 'system' | 'virtual';
  apps?: string;
  tls: boolean;
  certDir: string;
  publicHost?: string;
  seed: number;
  logLevel: string;
}

function durationArg(value: string): string {
  const d = parseDuration(value);
  if (!d || d.toMillis() <= 0)
    throw new InvalidArgumentError(
      `expected a positive ISO 8601 duration such as PT24H or P30D, got ${JSON.stringify(value)}`,
    );
  return value;
}

function rateArg(value: string): string {
  const m = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) < 1)
    throw new InvalidArgumentError(
      `expected <per second>/<burst> such as 1/30, got ${JSON.stringify(value)}`,
    );
  return value;
}

function countArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`expected a whole number from 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

function portArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got ${JSON.stringify(value)}`);
  return Number(value);
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
