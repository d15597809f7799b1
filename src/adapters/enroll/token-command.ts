/**
 * `--enroll-token-cmd "<command>"`: each device's Federated security token from a command the user
 * gives (an MDM agent's helper, a script that asks an identity provider…).
 *
 * Safety: the device's values never pass through the shell's parser. `{deviceId}` and `{n}` in the
 * template are replaced by the double-quoted variable references `"$DMPUSH_DEVICE_ID"` and
 * `"$DMPUSH_N"`, and the values travel in those environment variables; `/bin/sh -c` runs the
 * result. A device id holding `'`, `;`, `$(…)` or a newline is just text to the command. (The
 * placeholders therefore must not sit inside single quotes, where the shell expands nothing.)
 *
 * Bounds: the command runs in its own process group, which is killed (SIGKILL) after `timeoutMs`
 * real milliseconds (default 30 s) or once its output passes `maxOutputBytes` (default 64 KiB).
 * Its trimmed standard output is the token. A failure names the command's exit code or signal,
 * never the output (it may hold the token).
 */
import { spawn } from 'node:child_process';
import { DmpushError } from '../../core/errors.js';
import { SystemClock } from '../clock/system-clock.js';

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

const PLACEHOLDERS: Readonly<Record<string, string>> = {
  '{deviceId}': '"$DMPUSH_DEVICE_ID"',
  '{n}': '"$DMPUSH_N"',
};

/** The shell script `/bin/sh -c` runs for `template`: placeholders made variable references. */
export function tokenCommandScript(template: string): string {
  return template.replace(/\{deviceId\}|\{n\}/g, (placeholder) => PLACEHOLDERS[placeholder] ?? '');
}

/** Runs the token command for one device; resolves to its trimmed standard output. */
export function runTokenCommand(
  template: string,
  values: TokenCommandValues,
  options: TokenCommandOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
  const wall = new SystemClock();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', tokenCommandScript(template)], {
      env: {
        ...(options.env ?? process.env),
        DMPUSH_DEVICE_ID: values.deviceId,
        DMPUSH_N: String(values.n),
      },
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    const chunks: Buffer[] = [];
    let length = 0;
    let failure: string | null = null;
    const killGroup = (why: string): void => {
      failure ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = wall.after(timeoutMs, () =>
      killGroup(`the token command did not finish within ${timeoutMs} ms`),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxOutputBytes)
        killGroup(`the token command wrote more than ${maxOutputBytes} bytes`);
      else chunks.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      wall.cancel(timer);
      reject(
        new TokenCommandError(`the token command could not start: ${error.code ?? error.message}`),
      );
    });
    child.on('close', (code, signal) => {
      wall.cancel(timer);
      const token = Buffer.concat(chunks).toString('utf8').trim();
      if (failure !== null) return reject(new TokenCommandError(failure));
      if (code !== 0) {
        const how =
          code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
        return reject(new TokenCommandError(`the token command ${how}`));
      }
      if (token === '') return reject(new TokenCommandError('the token command printed no token'));
      resolve(token);
    });
  });
}
