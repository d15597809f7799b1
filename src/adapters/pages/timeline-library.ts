/**
 * The library that draws the timeline: vis-timeline's standalone (UMD) build, which defines the
 * global `vis` and carries its own stylesheet. It is a runtime dependency, read from
 * `node_modules` and inlined into every page (no CDN); the pages' own scripts only use its types.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TimelineLibrary } from '../../report/page-assets.js';

const require = createRequire(import.meta.url);

/** The npm module that draws the timeline, and where its standalone (UMD) build is. */
const TIMELINE_LIBRARY = {
  name: 'vis-timeline',
  script: 'vis-timeline/standalone/umd/vis-timeline-graph2d.min.js',
} as const;

let libraryCache: TimelineLibrary | undefined;

/** The timeline library's standalone build and version, read from node_modules once. */
export function timelineLibrary(): TimelineLibrary {
  if (!libraryCache) {
    const path = require.resolve(TIMELINE_LIBRARY.script);
    const pkg = JSON.parse(
      readFileSync(require.resolve(`${TIMELINE_LIBRARY.name}/package.json`), 'utf8'),
    ) as { version: string };
    const script = readFileSync(path, 'utf8')
      // The map file is not inlined; a dangling reference would only make devtools complain.
      .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    libraryCache = { name: TIMELINE_LIBRARY.name, version: pkg.version, script };
  }
  return libraryCache;
}
