/**
 * What a page inlines besides its data, read from disk: the timeline library from
 * `node_modules` and the page's browser bundle from `dist/browser/`.
 */
import type { PageAssets } from '../../report/page-assets.js';
import { browserBundle, type BrowserBundleName } from './browser-bundle.js';
import { timelineLibrary } from './timeline-library.js';

/**
 * The assets of page `name` (each file read once per process). Throws
 * `BrowserBundleMissingError` when the browser code is not built (`npm run build`).
 */
export function readPageAssets(name: BrowserBundleName): PageAssets {
  return { library: timelineLibrary(), bundle: browserBundle(name) };
}
