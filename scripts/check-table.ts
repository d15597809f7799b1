/**
 * Prints the README's table of the checks of `dmpush check`, generated from the check
 * definitions (`src/core/check/check-table.ts`): `npx tsx scripts/check-table.ts`. With `--write`
 * it replaces the table between the README's markers (`<!-- check-table:start -->` …
 * `<!-- check-table:end -->`) instead. `test/unit/check-table.test.ts` fails while the README's
 * table differs from what this prints.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CHECK_TABLE_END,
  CHECK_TABLE_START,
  checkTable,
  withCheckTable,
} from '../src/core/check/check-table.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));

if (process.argv.includes('--write')) {
  const updated = withCheckTable(readFileSync(readme, 'utf8'));
  if (updated === null) {
    process.stderr.write(`README.md: expected ${CHECK_TABLE_START} … ${CHECK_TABLE_END} once\n`);
    process.exitCode = 1;
  } else {
    writeFileSync(readme, updated);
    process.stderr.write('README.md: check table written\n');
  }
} else {
  process.stdout.write(checkTable());
}
