/**
 * The package's root folder, found from this module's own location: the files that ship next to
 * the code (`fixtures/`, the browser bundles in `dist/browser/`) are read from there, whether the
 * code runs from `src/` (tests) or from `dist/src/` (the installed binary).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (holds `package.json` and `fixtures/`), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'fixtures'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('dmpush: cannot find the package root (package.json with fixtures/)');
}
