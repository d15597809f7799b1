/**
 * The README's table of the checks of `dmpush check`, generated from {@link CHECKS} so that it
 * cannot drift from the definitions: one row per check in report order (id, title, whether it
 * needs a trigger, the situation it judges, its source with the quote). `scripts/check-table.ts`
 * prints it (or writes it between the README's markers); a unit test holds the README to it. Pure.
 *
 * @example
 * ```text
 * | Check | What it checks | Needs a trigger | Situation | Source |
 * |---|---|---|---|---|
 * | `pfn-set` | Sets Push/PFN on a new device | no | `lifecycle` | [DMClient CSP](https://…): *The server must use …* |
 * ```
 *
 * @module
 */
import { CHECKS } from './checks.js';
import { CHECK_IDS, type CheckDefinition } from './model.js';

/** The README's markers around the generated table. */
export const CHECK_TABLE_START = '<!-- check-table:start -->';
export const CHECK_TABLE_END = '<!-- check-table:end -->';

/** The command that prints the table (`--write`: puts it into README.md). */
export const CHECK_TABLE_COMMAND = 'npx tsx scripts/check-table.ts';

const HEADER = [
  '| Check | What it checks | Needs a trigger | Situation | Source |',
  '|---|---|---|---|---|',
];

/** `text` as literal Markdown inside a table cell: no character starts markup or ends the cell. */
function escapeCell(text: string): string {
  return text.replace(/[\\`*_[\]<|]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, ' ');
}

/** `url` safe inside a Markdown link's parentheses. */
const linkUrl = (url: string): string =>
  url.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/** One check's row. */
function row(check: CheckDefinition): string {
  const { quote, document, url } = check.source;
  const cells = [
    `\`${check.id}\``,
    escapeCell(check.title),
    check.needsTrigger ? 'yes' : 'no',
    `\`${check.situation}\``,
    `[${escapeCell(document)}](${linkUrl(url)}): *${escapeCell(quote)}*`,
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The table of `checks` (default: every check, in report order), each line ending in a newline. */
export function checkTable(
  checks: readonly CheckDefinition[] = CHECK_IDS.map((id) => CHECKS[id]),
): string {
  return [...HEADER, ...checks.map(row)].join('\n') + '\n';
}

/**
 * `markdown` with the text between its markers replaced by {@link checkTable}; null when the
 * markers are not there once each, in order.
 */
export function withCheckTable(markdown: string, table: string = checkTable()): string | null {
  const start = markdown.indexOf(CHECK_TABLE_START);
  const end = markdown.indexOf(CHECK_TABLE_END);
  const once = (marker: string, at: number): boolean => markdown.indexOf(marker, at + 1) < 0;
  if (start < 0 || end < start || !once(CHECK_TABLE_START, start) || !once(CHECK_TABLE_END, end))
    return null;
  return `${markdown.slice(0, start + CHECK_TABLE_START.length)}\n${table}${markdown.slice(end)}`;
}

/** The text between the markers of `markdown` (the newline after the start marker left out); null without them. */
export function tableIn(markdown: string): string | null {
  const start = markdown.indexOf(CHECK_TABLE_START);
  const end = markdown.indexOf(CHECK_TABLE_END);
  if (start < 0 || end < start) return null;
  return markdown.slice(start + CHECK_TABLE_START.length, end).replace(/^\n/, '');
}
