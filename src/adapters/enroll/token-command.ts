/**
 * `--enroll-token-cmd "<command>"`: each device's Federated security token from a command the user
 * gives (an MDM agent's helper, a script that asks an identity provider…). `{deviceId}` and `{n}`
 * reach the command as environment variables, never through the shell's parser, and the command
 * is bounded in time and output (`../shell/template-command.ts`). Its trimmed standard output is
 * the token. A failure names the command's exit code or signal, never the output (it may hold
 * the token).
 */
import { DmpushError } from '../../core/errors.js';
import { runTemplateCommand, templateScript } from '../shell/template-command.js';

/** A token command that failed: its exit status, a signal, a timeout, no output. */
export class TokenCommandError extends DmpushError {
  constructor(message: string) {
    super('E_TOKEN_COMMAND', message);
  }
}

/** Options of {@link runTokenCommand}. */
export interface TokenCommandOptions {
  /** Real milliseconds the command may run (default 30,000). */
  readonly timeoutMs?: number;
  /** Largest standard output accepted, in bytes (default 64 KiB). */
  readonly maxOutputBytes?: number;
  /** The command's environment (default: this process's), to which the device's values are added. */
  readonly env?: NodeJS.ProcessEnv;
}

/** What the placeholders stand for. */
export interface TokenCommandValues {
  readonly deviceId: string;
  /** The device's 1-based number in the fleet. */
  readonly n: number;
}

/** The shell script `/bin/sh -c` runs for `template`: placeholders made variable references. */
export function tokenCommandScript(template: string): string {
  return templateScript(template, ['deviceId', 'n']);
}

/** Runs the token command for one device; resolves to its trimmed standard output. */
export async function runTokenCommand(
  template: string,
  values: TokenCommandValues,
  options: TokenCommandOptions = {},
): Promise<string> {
  let token: string;
  try {
    token = await runTemplateCommand(
      template,
      { deviceId: values.deviceId, n: String(values.n) },
      { ...options, what: 'the token command' },
    );
  } catch (error) {
    throw new TokenCommandError((error as Error).message);
  }
  if (token === '') throw new TokenCommandError('the token command printed no token');
  return token;
}
