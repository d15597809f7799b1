/** `dmpush wns`: the WNS emulator's options. */
import { Option, type Command } from 'commander';
import { wnsCommand } from '../commands/wns.js';
import type { CliIo } from '../io.js';
import { addAccessOptions, type AccessFlags } from './access.js';
import { countArg, durationArg, portArg, rateArg, seedArg } from './arguments.js';

/** The options of `wns`, as Commander hands them over. */
interface WnsFlags extends AccessFlags {
  tokenLifetime: string;
  channelLifetime: string;
  cacheMaxAge: string;
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

/** Adds `dmpush wns` to `program`; it runs with `io`. */
export function addWnsCommand(program: Command, io: CliIo): void {
  const command = program
    .command('wns')
    .description(
      "run the WNS emulator: token and notify endpoints, the admin API (/_sim/) and the devices' WebSocket endpoint",
    )
    .option('--host <host>', 'address to bind', '127.0.0.1');
  addAccessOptions(command, 'the admin API (/_sim/)')
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
    .option('--tls', 'serve HTTPS with a local CA (see docs/wns-emulator.md, "TLS mode")', false)
    .option('--cert-dir <dir>', 'where the TLS CA and certificate are kept', '.dmpush/tls')
    .option(
      '--public-host <name>',
      'host name in issued channel URIs (e.g. db5.notify.windows.com)',
    )
    .option('--seed <n>', 'seed for fault draws', seedArg, 1)
    .option('--token-lifetime <duration>', 'access token lifetime, ISO 8601', durationArg, 'PT24H')
    .option('--channel-lifetime <duration>', 'channel lifetime, ISO 8601', durationArg, 'P30D')
    .option(
      '--cache-max-age <duration>',
      'how long WNS keeps a cached push at most, TTL or not, ISO 8601',
      durationArg,
      'P3D',
    )
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
}
