import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CliIo } from '../src/cli/io.js';

/** A whole-number option of a benchmark: its default, its minimum, and an env variable. */
export interface IntOption {
  readonly default: number;
  readonly min: number;
  readonly env?: string;
}

/**
 * Parses benchmark flags with `node:util`'s parseArgs: whole-number options, boolean flags and
 * one `--only` choice. `--help` prints the usage and exits 0; a bad argument exits 2 naming it.
 */
export function benchArgs<I extends string, F extends string, C extends string>(
  argv: readonly string[],
  usage: string,
  spec: { ints: Record<I, IntOption>; flags?: readonly F[]; only?: readonly C[] },
  env: NodeJS.ProcessEnv = {},
): Record<I, number> & Record<F, boolean> & { only: C | null } {
  const fail = (message: string): never => {
    console.error(`bench: ${message}\n${usage}`);
    process.exit(2);
  };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of Object.keys(spec.ints)) options[name] = { type: 'string' };
  for (const name of spec.flags ?? []) options[name] = { type: 'boolean' };
  if (spec.only) options['only'] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    return fail((e as Error).message);
  }
  if (values['help']) {
    console.log(usage);
    process.exit(0);
  }
  const out: Record<string, number | boolean | string | null> = {};
  for (const [name, o] of Object.entries<IntOption>(spec.ints)) {
    const text = (values[name] as string | undefined) ?? (o.env ? env[o.env] : undefined);
    const n = text === undefined ? o.default : Number(text);
    if (!Number.isInteger(n) || n < o.min)
      fail(`--${name}: expected an integer >= ${o.min}, got ${text}`);
    out[name] = n;
  }
  for (const name of spec.flags ?? []) out[name] = values[name] === true;
  const only = values['only'] as string | undefined;
  if (only !== undefined && !spec.only?.includes(only as C))
    fail(`--only: expected ${spec.only?.join(' or ')}, got ${only}`);
  out['only'] = only ?? null;
  return out as Record<I, number> & Record<F, boolean> & { only: C | null };
}

/**
 * Runs a bench's `main`. A handle left open would keep the process alive after the report: say
 * which, and leave anyway. A failure sets exit code 1.
 */
export function runBench(name: string, main: () => Promise<void>): void {
  main().then(
    () => {
      setTimeout(() => {
        console.error(
          `bench: still open after the report: ${process.getActiveResourcesInfo().join(', ')}`,
        );
        process.exit(0);
      }, 5000).unref();
    },
    (error: unknown) => {
      console.error(`bench: the ${name} bench failed:`, error);
      process.exitCode = 1;
    },
  );
}

/** The CLI's I/O for a bench that starts `serve` in process: its output dropped, errors shown. */
export const quietIo: CliIo = {
  stdout: () => undefined,
  stderr: (t) => void process.stderr.write(t),
  readFile: (path) => readFileSync(path, 'utf8'),
};
