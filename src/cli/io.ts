import { readFileSync } from 'node:fs';
import { DmpushError } from '../core/errors.js';

/** Where a CLI run writes and reads: the process, or a test's capture. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => string;
  /** True when stdout is a terminal. */
  readonly isTty?: boolean;
  /** A terminal to draw progress bars on (standard error, when it is one). */
  readonly progress?: NodeJS.WritableStream;
}

/** A usage problem (a flag, an argument, a file named on the command line): exit code 2. */
export class UsageError extends DmpushError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_USAGE', message, options);
  }
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readFile: (path) => readFileSync(path, 'utf8'),
  isTty: process.stdout.isTTY,
  progress: process.stderr.isTTY ? process.stderr : undefined,
};
