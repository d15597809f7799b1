/** The options that make `serve`'s devices enroll (MS-MDE2) with a management server. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDuration } from '../../core/time/iso.js';
import { UsageError } from '../io.js';

/** How devices prove who they are to the enrollment service (MS-MDE2 `AuthPolicy`). */
type EnrollCredentials =
  | { readonly policy: 'OnPremise'; readonly user: string; readonly password: string }
  | { readonly policy: 'Federated'; readonly token: string }
  | { readonly policy: 'Federated'; readonly tokenCommand: string };

/** Where and how the devices enroll. */
export interface EnrollConfig {
  /** The discovery URL (`https://enterpriseenrollment.<domain>/EnrollmentServer/Discovery.svc`). */
  readonly url: string;
  /** `EmailAddress` of the Discover request; `{deviceId}` is replaced by each device's id. */
  readonly email: string;
  readonly credentials: EnrollCredentials;
}

/** The enrollment options as Commander hands them over. */
export interface EnrollFlags {
  enrollUrl?: string;
  enrollEmail?: string;
  enrollUser?: string;
  enrollPassword?: string;
  enrollToken?: string;
  enrollTokenCmd?: string;
  /** `--enroll-retry`, in milliseconds. */
  enrollRetry?: number;
}

/** `--enroll-url <url>`: an absolute http(s) URL. */
function enrollUrlArg(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError(`expected an http(s) URL, got ${JSON.stringify(value)}`);
  return url.href;
}

/** `--enroll-retry <duration>`: a positive ISO 8601 duration, as milliseconds (at most a year). */
function enrollRetryArg(value: string): number {
  const ms = parseDuration(value)?.toMillis();
  if (ms === undefined || !(ms > 0) || ms > YEAR_MS)
    throw new InvalidArgumentError(
      `expected a positive ISO 8601 duration of at most a year, such as PT30M, got ${JSON.stringify(value)}`,
    );
  return ms;
}

const YEAR_MS = 366 * 24 * 3600 * 1000;

/** A value without control characters (they cannot travel in a SOAP header). */
function textArg(what: string): (value: string) => string {
  return (value) => {
    if (value === '' || [...value].some((c) => c.charCodeAt(0) < 0x20 && c !== '\t'))
      throw new InvalidArgumentError(`expected a non-empty ${what} without control characters`);
    return value;
  };
}

/** Adds the `--enroll-*` options to `command`. */
export function addEnrollOptions(command: Command): Command {
  return command
    .option(
      '--enroll-url <url>',
      'enroll each device first (MS-MDE2) at this discovery URL; it is then managed at the URL and ProviderID of its provisioning document',
      enrollUrlArg,
    )
    .option(
      '--enroll-email <address>',
      'EmailAddress the devices send to discovery ({deviceId} is replaced by the device id)',
      textArg('address'),
    )
    .option('--enroll-user <user>', 'OnPremise policy: the user name', textArg('user name'))
    .addOption(
      new Option('--enroll-password <password>', 'OnPremise policy: the password')
        .env('DMPUSH_ENROLL_PASSWORD')
        .argParser(textArg('password')),
    )
    .addOption(
      new Option(
        '--enroll-token <token>',
        'Federated policy: the security token every device sends',
      )
        .env('DMPUSH_ENROLL_TOKEN')
        .argParser(textArg('token')),
    )
    .option(
      '--enroll-retry <duration>',
      'how long after a failed enrollment a device tries again (ISO 8601 duration; default PT30M)',
      enrollRetryArg,
    )
    .option(
      '--enroll-token-cmd <command>',
      'Federated policy: a shell command run per device ({deviceId}, {n} replaced); its standard output is that device token',
      textArg('command'),
    );
}

/** The flags of each way to authenticate, by option key. */
const FLAG_NAMES: Readonly<Record<keyof EnrollFlags, string>> = {
  enrollUrl: '--enroll-url',
  enrollEmail: '--enroll-email',
  enrollUser: '--enroll-user',
  enrollPassword: '--enroll-password',
  enrollToken: '--enroll-token',
  enrollTokenCmd: '--enroll-token-cmd',
  enrollRetry: '--enroll-retry',
};

/**
 * The enrollment configuration the flags give, or null when `--enroll-url` is absent. `fromEnv`
 * names the options whose value came from the environment (`DMPUSH_ENROLL_PASSWORD`,
 * `DMPUSH_ENROLL_TOKEN`): without `--enroll-url` those are ignored, while a flag given on the
 * command line is an error. `defaultEmail` is used without `--enroll-email`.
 *
 * @throws {@link UsageError} naming the flags that do not fit together.
 */
export function enrollConfig(
  flags: EnrollFlags,
  defaultEmail: string,
  fromEnv: ReadonlySet<keyof EnrollFlags> = new Set(),
): EnrollConfig | null {
  const { enrollUrl: url, enrollUser: user, enrollPassword: password } = flags;
  const { enrollToken: token, enrollTokenCmd: tokenCommand } = flags;
  if (url === undefined) {
    const stray = (Object.keys(FLAG_NAMES) as (keyof EnrollFlags)[]).filter(
      // --enroll-retry serves the reference server's enrollment too.
      (k) => flags[k] !== undefined && !fromEnv.has(k) && k !== 'enrollRetry',
    );
    if (stray.length > 0)
      throw new UsageError(`${stray.map((k) => FLAG_NAMES[k]).join(', ')}: needs --enroll-url`);
    return null;
  }
  const email = flags.enrollEmail ?? defaultEmail;
  const onPremise = user !== undefined || password !== undefined;
  const ways = [onPremise, token !== undefined, tokenCommand !== undefined].filter(Boolean);
  if (ways.length !== 1)
    throw new UsageError(
      '--enroll-url: give one way to authenticate: --enroll-user with --enroll-password (OnPremise), --enroll-token or --enroll-token-cmd (Federated)',
    );
  if (onPremise) {
    if (user === undefined || password === undefined)
      throw new UsageError('--enroll-user and --enroll-password go together (OnPremise policy)');
    return { url, email, credentials: { policy: 'OnPremise', user, password } };
  }
  if (token !== undefined) return { url, email, credentials: { policy: 'Federated', token } };
  return { url, email, credentials: { policy: 'Federated', tokenCommand: tokenCommand ?? '' } };
}
