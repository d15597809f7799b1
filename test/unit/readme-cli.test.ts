import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { fixture } from '../helpers/run-scenario.js';

/** `$ dmpush …` transcripts in a Markdown file: each command with the output shown under it. */
function transcripts(markdown: string): Array<{ argv: string[]; output: string }> {
  const out: Array<{ argv: string[]; output: string }> = [];
  let current: { argv: string[]; lines: string[] } | null = null;
  const flush = (): void => {
    if (current) out.push({ argv: current.argv, output: current.lines.join('\n') + '\n' });
    current = null;
  };
  for (const line of markdown.split('\n')) {
    if (line.startsWith('$ dmpush ')) {
      flush();
      current = { argv: line.slice('$ dmpush '.length).split(/\s+/), lines: [] };
    } else if (line.startsWith('```')) flush();
    else current?.lines.push(line);
  }
  flush();
  return out;
}

/** The files whose transcripts are checked, with how many each holds at least. */
const FILES = [
  ['README.md', 1], // the tour of the commands
  ['docs/cli.md', 2], // the command line reference
] as const;

describe.each(FILES)('%s: transcripts match what the CLI prints', (file, atLeast) => {
  const cases = transcripts(readFileSync(fixture(file), 'utf8'));

  it('has transcripts', () => {
    expect(cases.length).toBeGreaterThanOrEqual(atLeast);
  });

  it.each(cases.map((c) => [c.argv.join(' '), c] as const))('dmpush %s', async (_, c) => {
    let stdout = '';
    const code = await runCli(c.argv, {
      stdout: (t) => (stdout += t),
      stderr: () => {},
      readFile: () => '',
    });
    expect(code).toBe(0);
    expect(stdout).toBe(c.output);
  });
});
