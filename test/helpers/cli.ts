import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { ROOT } from './run-scenario.js';

/** The compiled CLI, as `npm start` and the `dmpush` binary run it. */
export const BIN = join(ROOT, 'dist/src/cli/main.js');

/** A CLI io that keeps what was written. */
export function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
      readFile: (p) => readFileSync(p, 'utf8'),
    },
    out: () => out,
    err: () => err,
  };
}

/** Runs the CLI in process; resolves with its exit code and what it wrote. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await runCli(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

/** A CLI process started by {@link startProcess}. */
export interface CliProcess {
  /** The match of the `ready` pattern. */
  readonly match: RegExpExecArray;
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything it has written to standard output so far. */
  output(): string;
  /** Resolves when its standard output (from the start) matches `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Stops it with SIGTERM; resolves with its exit code. */
  stop(): Promise<number | null>;
  /** Kills it with SIGKILL (no chance to clean up); resolves when it is gone. */
  kill(): Promise<void>;
}

/**
 * Starts the built CLI as a process and resolves once its standard output matches `ready`.
 */
export async function startProcess(args: string[], ready: RegExp): Promise<CliProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
  let out = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const check of [...waiters]) check();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const check of [...waiters]) check();
  });
  const waitFor = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(out);
        if (m) {
          waiters.delete(check);
          resolve(m);
        } else if (gone) {
          waiters.delete(check);
          reject(new Error(`exited before printing ${pattern}: ${out}`));
        }
      };
      waiters.add(check);
      check();
    });
  const match = await waitFor(ready);
  return {
    match,
    child,
    output: () => out,
    waitFor,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
