/**
 * The pages' browser code as built: `npm run build` bundles `src/browser/` with esbuild into
 * `dist/browser/<name>.js` (one IIFE per page) and `dist/browser/<name>.css` (its styles). The
 * report and the dashboard inline them. They are read from the package root, so this works
 * from `src/` (tests) and from `dist/src/` (the installed binary) alike. The pages themselves are
 * built from the text, without I/O (`src/report/html-report.ts`, `src/dashboard/`).
 *
 * @see ../../../scripts/bundle-browser.ts for the build, docs/decisions/0008.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmpushError } from '../../core/errors.js';
import type { BrowserBundle } from '../../report/page-assets.js';
import { packageRoot } from '../package-root.js';

/** The pages with browser code. */
export type BrowserBundleName = 'report' | 'dashboard';

/** The browser code is not built (or only partly): the message says to run `npm run build`. */
export class BrowserBundleMissingError extends DmpushError {
  constructor(readonly path: string) {
    super(
      'E_NOT_BUILT',
      `the browser code is not built: ${path} is missing. Run \`npm run build\` (it compiles ` +
        'the TypeScript and bundles src/browser/ into dist/browser/).',
    );
  }
}

/** Where the bundles are: `dist/browser/` under the package root. */
export function browserBundleDir(root: string = packageRoot()): string {
  return join(root, 'dist', 'browser');
}

const cache = new Map<string, BrowserBundle>();

/** A page's bundle from `dir` (default {@link browserBundleDir}), read once per process. */
export function browserBundle(
  name: BrowserBundleName,
  dir: string = browserBundleDir(),
): BrowserBundle {
  const script = join(dir, `${name}.js`);
  const style = join(dir, `${name}.css`);
  let bundle = cache.get(script);
  if (!bundle) {
    for (const path of [script, style])
      if (!existsSync(path)) throw new BrowserBundleMissingError(path);
    bundle = { script: readFileSync(script, 'utf8'), style: readFileSync(style, 'utf8') };
    cache.set(script, bundle);
  }
  return bundle;
}
