/**
 * What a page of a run (the HTML report, the live dashboard) inlines besides its data: the
 * timeline library and the page's own script and styles. The pages are built from these as text,
 * so building them does no I/O; the adapters read them (`src/adapters/pages/`).
 */

/** The library that draws the timeline: its npm name, version and standalone script. */
export interface TimelineLibrary {
  readonly name: string;
  readonly version: string;
  readonly script: string;
}

/** A page's script and stylesheet (bundled from `src/browser/<page>/`), as text to inline. */
export interface BrowserBundle {
  readonly script: string;
  readonly style: string;
}

/** Everything a page inlines besides its data. */
export interface PageAssets {
  readonly library: TimelineLibrary;
  readonly bundle: BrowserBundle;
}
