/**
 * Bundles the pages' browser code (`src/browser/`, type-checked by `src/browser/tsconfig.json`)
 * with esbuild: one IIFE script and one stylesheet per page in `dist/browser/`, which the report
 * and the dashboard inline (`src/adapters/pages/browser-bundle.ts`). Not minified, so a report's source
 * stays readable; the size is mostly vis-timeline, which is inlined as it comes, never bundled.
 * Run by `npm run build` after `tsc`: `tsx scripts/bundle-browser.ts`.
 */
import { build, type BuildOptions } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = 'dist/browser';

/** The pages and their entry modules: `dist/browser/<page>.js` and `.css`. */
const PAGES = {
  report: 'src/browser/report/main.ts',
  dashboard: 'src/browser/dashboard/main.ts',
} as const;

const OPTIONS: BuildOptions = {
  absWorkingDir: root,
  entryPoints: PAGES,
  outdir,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Reports open in any current browser from disk.
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  tsconfig: 'src/browser/tsconfig.json',
  charset: 'utf8',
  legalComments: 'none',
  minify: false,
  sourcemap: false,
  // The library is a global of the page (window.vis), never part of a bundle.
  external: ['vis-timeline', 'vis-data', 'moment'],
  logLevel: 'warning',
};

// A failed build throws (esbuild prints the errors), so `npm run build` fails with it.
rmSync(`${root}/${outdir}`, { recursive: true, force: true });
await build(OPTIONS);
