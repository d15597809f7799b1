/**
 * The live dashboard of `dmpush serve` (`GET /` on the control port): one self-contained page
 * (the timeline library and the dashboard's script and styles, bundled from
 * `src/browser/dashboard/` at build time with the report's view, are inlined; no CDN, no
 * external request). Its script reads the fleet from the control API and keeps it current over
 * the `/api/live` WebSocket.
 */
import { readPageAssets } from '../adapters/pages/read-page-assets.js';
import { escapeHtml } from '../report/format.js';
import { inlineScript, inlineStyle } from '../report/inline.js';

const CONTROLS = `
<form name="ctl-battery"><div class="card-title">Battery</div>
<label>level <input name="level" type="number" min="0" max="100" step="1" required> %</label>
<label><input name="charging" type="checkbox"> charging</label>
<label><input name="screenOn" type="checkbox"> screen on</label>
<button type="submit">Set battery</button><output class="result"></output></form>
<form name="ctl-network"><div class="card-title">Network</div>
<label><input name="connected" type="checkbox"> connected</label>
<label><input name="internet" type="checkbox"> internet</label>
<label><input name="metered" type="checkbox"> metered</label>
<button type="submit">Set network</button><output class="result"></output></form>
<form name="ctl-datasense"><div class="card-title">Data Sense</div>
<label>used <input name="usedMB" type="number" min="0" step="any"> MB</label>
<label>limit <input name="limitMB" type="number" min="0" step="any" placeholder="none"> MB</label>
<button type="submit">Set Data Sense</button><output class="result"></output></form>
<form name="ctl-pfn"><div class="card-title">Push/PFN</div>
<input name="pfn" type="text" placeholder="none (clears the node)" spellcheck="false">
<button type="submit">Set PFN</button><output class="result"></output></form>
<form name="ctl-push"><div class="card-title">Push through WNS</div>
<label>cache policy <select name="cachePolicy"><option value="">default</option><option value="cache">cache</option><option value="no-cache">no-cache</option></select></label>
<label>TTL <input name="ttlSeconds" type="number" min="0" step="1" placeholder="none"> s</label>
<label>priority <select name="priority"><option value="">default (Low)</option><option value="1">1 High</option><option value="2">2 Medium</option><option value="3">3 Low</option><option value="4">4 Very Low</option></select></label>
<button type="submit">Send push</button><output class="result"></output></form>`;

/**
 * The dashboard page. Deterministic: the data comes later, from the API. Throws
 * `BrowserBundleMissingError` when the browser code is not built (`npm run build`).
 */
export function renderDashboardPage(title = 'dmpush live fleet'): string {
  const { library: lib, bundle: page } = readPageAssets('dashboard');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dmpush">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<!-- ${lib.name} ${lib.version} (Apache-2.0 OR MIT), standalone build: it adds its own stylesheet -->
<script>
${inlineScript(lib.script)}
</script>
<style>${inlineStyle(page.style)}</style>
</head>
<body>
<header class="top">
<h1>${escapeHtml(title)}</h1>
<span class="clock"><strong id="clock-now">—</strong> <span id="clock-mode" class="dim"></span></span>
<span id="live" class="pill warn">connecting…</span>
<form name="ctl-advance" id="advance" hidden><label>advance the virtual clock by <input name="duration" type="text" value="PT1H" size="7" spellcheck="false"></label>
<button type="submit">Advance</button><output class="result"></output></form>
</header>
<div class="layout">
<aside>
<section class="panel" id="fleet"><h2>Fleet <span class="count" id="fleet-count"></span></h2>
<div class="fleet-tools"><input id="fleet-filter" type="search" placeholder="find a device by id" spellcheck="false" aria-label="find a device by id">
<span id="fleet-pager" hidden><button type="button" data-page="-1" aria-label="previous page">‹</button> <span id="fleet-range"></span> <button type="button" data-page="1" aria-label="next page">›</button></span></div>
<table class="grid"><thead><tr><th>Device</th><th>OS</th><th>Battery</th><th>Saver</th><th>WNS</th><th>Push/Status</th><th>Channel expiry</th></tr></thead>
<tbody id="fleet-body"></tbody></table></section>
<section class="panel"><h2>Live events</h2><ul id="feed"></ul></section>
</aside>
<main>
<section class="panel" id="device-panel" hidden>
<h2 id="device-title"></h2>
<div id="device-error"></div>
<div class="facts" id="device-facts"></div>
<div class="controls">${CONTROLS}
</div>
</section>
<section class="panel"><h2>Timeline <button type="button" id="timeline-fit" title="show the whole timeline (or the window of a long one) again (zoom: Ctrl + wheel)">show all</button></h2><div id="timeline-window" hidden></div><div id="timeline"><noscript>The dashboard needs JavaScript.</noscript></div></section>
<section class="panel"><h2>DM tree <span class="count" id="tree-count"></span></h2>
<div class="tree-box"><table class="grid"><thead><tr><th>Node</th><th>Format</th><th>Access</th><th>Value</th></tr></thead>
<tbody id="tree-body"></tbody></table></div></section>
</main>
</div>
<script>
${inlineScript(page.script)}
</script>
</body>
</html>
`;
}
