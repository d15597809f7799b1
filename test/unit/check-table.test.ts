import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CHECK_TABLE_COMMAND,
  CHECK_TABLE_END,
  CHECK_TABLE_START,
  checkTable,
  tableIn,
  withCheckTable,
} from '../../src/core/check/check-table.js';
import { CHECKS } from '../../src/core/check/checks.js';
import { CHECK_IDS, type CheckDefinition } from '../../src/core/check/model.js';
import { fixture } from '../helpers/run-scenario.js';

/** The table's rows (the lines after the header and its rule). */
const rows = (table: string): string[] => table.trimEnd().split('\n').slice(2);

/** The first cell of a row: the check id in backquotes. */
const idOf = (line: string): string => line.split(' | ')[0]?.replace(/^\| `|`$/g, '') ?? '';

describe('the README table of checks', () => {
  const readme = readFileSync(fixture('README.md'), 'utf8');

  it('is exactly checkTable() between the markers', () => {
    expect(readme.split(CHECK_TABLE_START)).toHaveLength(2);
    expect(readme.split(CHECK_TABLE_END)).toHaveLength(2);
    expect(
      tableIn(readme),
      `README.md's check table is out of date: regenerate it with \`${CHECK_TABLE_COMMAND} --write\` (or paste what \`${CHECK_TABLE_COMMAND}\` prints between the markers)`,
    ).toBe(checkTable());
  });

  it('names every check once, in report order', () => {
    const ids = rows(tableIn(readme) ?? '').map(idOf);
    expect(ids).toEqual([...CHECK_IDS]);
    for (const id of CHECK_IDS) expect(readme.split(`| \`${id}\` |`)).toHaveLength(2);
  });
});

describe('checkTable', () => {
  const table = checkTable();

  it('has a header and one row per check, with five cells each', () => {
    expect(table.split('\n')[0]).toBe(
      '| Check | What it checks | Needs a trigger | Situation | Source |',
    );
    expect(rows(table)).toHaveLength(CHECK_IDS.length);
    for (const line of rows(table)) expect(line.split(' | ')).toHaveLength(5);
  });

  it("gives each check's title, trigger need, situation and linked source with the quote", () => {
    const line = rows(table).find((l) => idOf(l) === 'token-refresh-on-401') as string;
    const def = CHECKS['token-refresh-on-401'];
    expect(line).toBe(
      `| \`token-refresh-on-401\` | ${def.title} | yes | \`token\` | [${def.source.document}](${def.source.url}): *${def.source.quote}* |`,
    );
    const pfn = rows(table).find((l) => idOf(l) === 'pfn-set') as string;
    expect(pfn.split(' | ')[2]).toBe('no');
    expect(pfn.split(' | ')[3]).toBe('`lifecycle`');
  });

  it('escapes what would break a cell or the italics, and parentheses in a URL', () => {
    const odd: CheckDefinition = {
      ...CHECKS['pfn-set'],
      title: 'a | b',
      source: {
        quote: 'use *cache* or [not]',
        document: 'Doc (old)',
        url: 'https://learn.microsoft.com/previous-versions/hh465435(v=win.10)',
      },
    };
    const line = rows(checkTable([odd]))[0] as string;
    expect(line).toContain('| a \\| b |');
    expect(line).toContain(
      '[Doc (old)](https://learn.microsoft.com/previous-versions/hh465435%28v=win.10%29): *use \\*cache\\* or \\[not\\]* |',
    );
  });
});

describe('withCheckTable', () => {
  it('replaces what is between the markers and keeps the rest', () => {
    const doc = `# T\n\n${CHECK_TABLE_START}\nold\n${CHECK_TABLE_END}\n\nafter\n`;
    const out = withCheckTable(doc, '| new |\n');
    expect(out).toBe(`# T\n\n${CHECK_TABLE_START}\n| new |\n${CHECK_TABLE_END}\n\nafter\n`);
    expect(tableIn(out as string)).toBe('| new |\n');
  });

  it('refuses a text without both markers, or with one twice', () => {
    expect(withCheckTable(`${CHECK_TABLE_START}\n`)).toBeNull();
    expect(withCheckTable(`${CHECK_TABLE_END}\n${CHECK_TABLE_START}\n`)).toBeNull();
    const twice = `${CHECK_TABLE_START}\n${CHECK_TABLE_END}\n${CHECK_TABLE_END}\n`;
    expect(withCheckTable(twice)).toBeNull();
  });
});
