import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { fixture } from '../helpers/run-scenario.js';

/** `$ dmpush …` transcripts in the README: each command with the output shown under it. */
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

describe('README transcripts match what the CLI prints', () => {
  const cases = transcripts(readFileSync(fixture('README.md'), 'utf8'));

  it('the README has transcripts', () => {
    expect(cases.length).toBeGreaterThanOrEqual(2);
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
