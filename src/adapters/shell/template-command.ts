/**
 * Commands the user gives as templates (`--enroll-token-cmd`, `--trigger-cmd`), run with a
 * device's values.
 *
 * Safety: the values never pass through the shell's parser. Each placeholder `{name}` in the
 * template is replaced by the double-quoted variable reference `"$DMPUSH_NAME"` (`{deviceId}` →
 * `"$DMPUSH_DEVICE_ID"`, `{channelUri}` → `"$DMPUSH_CHANNEL_URI"`), and the values travel in
 * those environment variables; `/bin/sh -c` runs the result. A value holding `'`, `;`, `$(…)` or
 * a newline is just text to the command. (The placeholders therefore must not sit inside single
 * quotes, where the shell expands nothing.)
 *
 * Bounds: the command runs in its own process group, which is killed (SIGKILL) after `timeoutMs`
 * real milliseconds (default 30 s) or once its output passes `maxOutputBytes` (default 64 KiB).
 * A failure names the command's exit code or signal, never its output (it may hold a secret).
 */
import { spawn } from 'node:child_process';
import { SystemClock } from '../clock/system-clock.js';

/** Options of {@link runTemplateCommand}. */
export interface TemplateCommandOptions {
  /** What the command is, for messages: `the token command`. */
  readonly what: string;
  /** Real milliseconds the command may run (default 30,000). */
  readonly timeoutMs?: number;
  /** Largest standard output accepted, in bytes (default 64 KiB). */
  readonly maxOutputBytes?: number;
  /** The command's environment (default: this process's), to which the values are added. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The environment variable of placeholder `name`: `deviceId` → `DMPUSH_DEVICE_ID`. */
const variableOf = (name: string): string =>
  `DMPUSH_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

/** The shell script `/bin/sh -c` runs for `template`: the placeholders of `names` made variable references. */
export function templateScript(template: string, names: readonly string[]): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (placeholder, name: string) =>
    names.includes(name) ? `"$${variableOf(name)}"` : placeholder,
  );
}

/**
 * Runs `template` with `values` (placeholder name → value); resolves to its trimmed standard
 * output, rejects with an `Error` whose message names the failure (`<what> exited with code 3`).
 */
export function runTemplateCommand(
  template: string,
  values: Readonly<Record<string, string>>,
  options: TemplateCommandOptions,
): Promise<string> {
  const { what } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
  const wall = new SystemClock();
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const [name, value] of Object.entries(values)) env[variableOf(name)] = value;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', templateScript(template, Object.keys(values))], {
      env,
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
      killGroup(`${what} did not finish within ${timeoutMs} ms`),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxOutputBytes) killGroup(`${what} wrote more than ${maxOutputBytes} bytes`);
      else chunks.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      wall.cancel(timer);
      reject(new Error(`${what} could not start: ${error.code ?? error.message}`));
    });
    child.on('close', (code, signal) => {
      wall.cancel(timer);
      if (failure !== null) return reject(new Error(failure));
      if (code !== 0) {
        const how =
          code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
        return reject(new Error(`${what} ${how}`));
      }
      resolve(Buffer.concat(chunks).toString('utf8').trim());
    });
  });
}
