import { findDemo, listDemos } from '../../demos.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../io.js';
import { readScenario, runSpec, type RunOptions } from './run.js';

/** `dmpush demo`: list the built-in demos, run one, or run them all. */
export function demoCommand(
  io: CliIo,
  name: string | undefined,
  options: RunOptions & { all: boolean },
): void {
  const demos = listDemos();
  if (!name && !options.all) {
    io.stdout('Built-in demos (dmpush demo <name>):\n\n');
    const width = Math.max(...demos.map((d) => d.name.length));
    for (const d of demos) io.stdout(`  ${d.name.padEnd(width)}  ${d.story}\n`);
    return;
  }
  const chosen = options.all ? demos : [findDemo(name as string)];
  if (chosen[0] === undefined) {
    throw new UsageError(
      `no demo named ${JSON.stringify(name)}; try one of: ${demos.map((d) => d.name).join(', ')}`,
    );
  }
  if (options.all && options.format === 'text') {
    io.stdout(
      `# dmpush: the ${demos.length} built-in demos, each a scenario in fixtures/demos/ run on the virtual clock.\n` +
        '# `dmpush demo` lists them; `dmpush demo <name> --format jsonl` runs one as JSON lines.\n',
    );
  }
  for (const demo of chosen as NonNullable<(typeof chosen)[number]>[]) {
    if (options.format === 'text') io.stdout(`\n## ${demo.name}: ${demo.story}\n`);
    runSpec(
      io,
      readScenario(io, demo.path, { seed: options.seed, until: options.until }),
      demo.name,
      options,
    );
  }
}
