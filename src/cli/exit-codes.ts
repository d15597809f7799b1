import { CommanderError } from 'commander';
import { DmpushError } from '../core/errors.js';

/**
 * The CLI's exit status for each error code, in one place. Commander's codes come from parsing
 * the command line (help and version are not failures); dmpush's from {@link DmpushError.code}.
 * Anything not listed exits 1: a usage problem is 2, whatever its code.
 */
export const EXIT_STATUS: Readonly<Record<string, number>> = {
  'commander.helpDisplayed': 0,
  'commander.help': 0,
  'commander.version': 0,
  // Usage and validation: the command line or a file it names is wrong.
  E_USAGE: 2,
  E_VALIDATION: 2,
  E_STATE_FILE: 2,
};

/** Exit status of an error without an entry in {@link EXIT_STATUS}. */
const UNEXPECTED = 1;

/** The exit status for an error with `code`. */
export function exitStatus(code: string | undefined): number {
  if (code === undefined) return UNEXPECTED;
  return EXIT_STATUS[code] ?? (code.startsWith('commander.') ? 2 : UNEXPECTED);
}

/** What the CLI does with an error a command threw: its exit status and what to print, if anything. */
export interface Failure {
  readonly status: number;
  /** For standard error, newline included; null when Commander has already said it. */
  readonly message: string | null;
}

const firstLine = (text: string): string => text.split('\n', 1)[0] ?? '';

/**
 * The exit status and message for `error`. Usage and validation errors print their whole message
 * (a validation error lists one problem per line); anything else prints one line, with its code
 * when it has one, and never a stack trace.
 */
export function failure(error: unknown): Failure {
  if (error instanceof CommanderError) return { status: exitStatus(error.code), message: null };
  if (error instanceof DmpushError) {
    const status = exitStatus(error.code);
    return status === UNEXPECTED
      ? { status, message: `dmpush: ${firstLine(error.message)} (${error.code})\n` }
      : { status, message: `dmpush: ${error.message}\n` };
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: UNEXPECTED, message: `dmpush: unexpected error: ${firstLine(text)}\n` };
}
