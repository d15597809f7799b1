import { findDemo, listDemos } from '../../demos.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../io.js';
import {
  openOutput,
  readScenario,
  reportSection,
  resolveFormat,
  runSpec,
  writeHtmlReport,
  type RunOptions,
} from './run.js';

/**
 * `dmpush demo`: list the built-in demos, run one, or run them all. With `--format html` (or an
 * `--out` file ending in `.html`) it writes the HTML report: one section per demo with `--all`.
 */
export function demoCommand(
  io: CliIo,
  name: string | undefined,
  options: RunOptions & { all: boolean },
): void {
  const demos = listDemos();
  const format = resolveFormat(options.format, options.out);
  if (!name && !options.all) {
    if (options.out !== undefined || format === 'html')
      throw new UsageError(
        `${options.out !== undefined ? '--out' : '--format html'} needs a demo name or --all (dmpush demo lists the demos)`,
      );
    io.stdout('Built-in demos (dmpush demo <name>):\n\n');
    const width = Math.max(...demos.map((d) => d.name.length));
    for (const d of demos) io.stdout(`  ${d.name.padEnd(width)}  ${d.story}\n`);
    return;
  }
  if (name && options.all)
    throw new UsageError(`give a demo name or --all, not both (got ${JSON.stringify(name)})`);
  const chosen = options.all ? demos : [findDemo(name as string)];
  if (chosen[0] === undefined) {
    throw new UsageError(
      `no demo named ${JSON.stringify(name)}; try one of: ${demos.map((d) => d.name).join(', ')}`,
    );
  }
  const runs = chosen as NonNullable<(typeof chosen)[number]>[];
  const read = (path: string) =>
    readScenario(io, path, { seed: options.seed, until: options.until });

  if (format === 'html') {
    const sections = runs.map((demo) =>
      reportSection(
        read(demo.path),
        { title: demo.name, description: demo.story },
        options.filter,
        io.progress,
      ),
    );
    const title = options.all
      ? `dmpush: the ${demos.length} built-in demos`
      : `dmpush demo ${runs[0]?.name}`;
    writeHtmlReport(io, title, sections, options.out);
    return;
  }

  const output = openOutput(io, options.out);
  if (options.all && format === 'text') {
    output.write(
      `# dmpush: the ${demos.length} built-in demos, each a scenario in fixtures/demos/ run on the virtual clock.\n` +
        '# `dmpush demo` lists them; `dmpush demo <name> --format jsonl` runs one as JSON lines.\n',
    );
  }
  let count = 0;
  for (const demo of runs) {
    if (format === 'text') output.write(`\n## ${demo.name}: ${demo.story}\n`);
    count += runSpec(
      io,
      read(demo.path),
      demo.name,
      { format, filter: options.filter },
      output.write,
    );
  }
  output.close(`${count} event${count === 1 ? '' : 's'} (${format})`);
}
