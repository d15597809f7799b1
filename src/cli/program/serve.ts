/** `dmpush serve`: the live fleet's options. */
import { Option, type Command } from 'commander';
import {
  DEFAULT_ENROLL_EMAIL,
  DEFAULT_FLEET_SIZE,
  DEFAULT_MAX_ADVANCE,
  DEFAULT_STATE_FILE,
  serveCommand,
} from '../commands/serve.js';
import type { CliIo } from '../io.js';
import { addAccessOptions, type AccessFlags } from './access.js';
import { addEnrollOptions, enrollConfig, type EnrollFlags } from './enroll.js';
import { countArg, durationArg, portArg, providerIdArg, seedArg } from './arguments.js';

/** The options of `serve`, as Commander hands them over. */
interface ServeFlags extends AccessFlags, EnrollFlags {
  enrollment: boolean;
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
  providerId?: string;
  seed?: number;
  timeline: boolean;
  staleChannelUri: boolean;
  pushAlert: '1201' | '1200';
  sessionTimeout: number;
  logLevel: string;
  state?: string;
  memory: boolean;
  maxAdvance: string;
  cacheMaxAge: string;
}

/** Adds `dmpush serve` to `program`; it runs with `io`. */
export function addServeCommand(program: Command, io: CliIo): void {
  const command = program
    .command('serve')
    .description(
      'run a live fleet: the WNS emulator, simulated devices on real WebSockets opening SyncML sessions, the reference MDM server (or yours) and the control API',
    )
    .option(
      '--mdm-url <url>',
      'your management server, for devices managed without enrollment (default: run the reference MDM server)',
    )
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
    .option('--host <host>', 'address every server binds', '127.0.0.1');
  addAccessOptions(command, 'the control API and the WNS admin API')
    .option('--port <n>', 'control API port (0 = any free port)', portArg, 7070)
    .option('--wns-port <n>', 'WNS emulator port (0 = any free port)', portArg, 0)
    .option('--mdm-port <n>', 'reference MDM server port (0 = any free port)', portArg, 0)
    .option('--apps <file>', 'WNS apps file (default: the built-in demo app)')
    .option('--pfn <pfn>', 'preset Push/PFN on every device (with --mdm-url: your PFN)')
    .option(
      '--provider-id <id>',
      "the devices' DMClient {ProviderID} (default DMPUSH; with --mdm-url: your server's own)",
      providerIdArg,
    )
    .option('--seed <n>', 'seed of the fleet draws and device timings', seedArg)
    .option(
      '--no-enrollment',
      'the reference MDM server manages its devices without enrolling them (no certificates, no digest authentication)',
    )
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
      '--max-advance <duration>',
      'the longest one POST /api/clock/advance may skip (ISO 8601 duration)',
      durationArg,
      DEFAULT_MAX_ADVANCE,
    )
    .option(
      '--cache-max-age <duration>',
      "how long the emulator's WNS keeps a cached push at most, TTL or not, ISO 8601",
      durationArg,
      'P3D',
    )
    .option(
      '--session-timeout <ms>',
      'real milliseconds a session may take in all talking to the server, however slowly it answers',
      countArg,
      30000,
    )
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to standard error)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('warn'),
    );
  addEnrollOptions(command).action((o: ServeFlags, cmd: Command) => {
    const fromEnv = new Set(
      (['enrollPassword', 'enrollToken'] as const).filter(
        (k) => cmd.getOptionValueSource(k) === 'env',
      ),
    );
    const enroll = enrollConfig(o, DEFAULT_ENROLL_EMAIL, fromEnv);
    return serveCommand(io, { ...o, enroll, sessionTimeoutMs: o.sessionTimeout });
  });
}
