import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
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

/** Compiles `dist/` when a source file is newer than it (process tests run the built CLI). */
export function ensureBuilt(): void {
  const newer = execFileSync('find', [join(ROOT, 'src'), '-name', '*.ts', '-newer', BIN], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean)
    .map((f) => statSync(f).mtimeMs);
  if (!existsSync(BIN) || newer.length > 0)
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
}

/**
 * Starts the built CLI as a process and resolves once its standard output matches `ready`, with
 * the match and a function that stops it with SIGTERM and resolves with its exit code.
 */
export async function startProcess(
  args: string[],
  ready: RegExp,
): Promise<{
  match: RegExpExecArray;
  child: ChildProcessWithoutNullStreams;
  stop(): Promise<number | null>;
}> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
  let out = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    match,
    child,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
