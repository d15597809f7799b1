/**
 * The browser side of the timeline view, as strings embedded in the HTML report: a small script
 * that reads the report data (JSON of {@link ReportData}) and renders, per section, the fleet
 * summary and a vis-timeline with one nested group per device and one lane per aspect; and its
 * stylesheet. Plain ES2017, no modules, no network: it runs from `file://`. A live dashboard can
 * load the same script and call `window.dmpushReport.render(data, element)` with fresh data.
 *
 * @see ./html-report.ts for the page around it, ./timeline-model.ts for the data.
 */

export const REPORT_CLIENT_JS = String.raw`(function () {
  'use strict';
  var vis = window.vis;

  function esc(s) {
    return String(s)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  }
  function el(tag, cls, html) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html !== undefined) e.innerHTML = html;
    return e;
  }
  function utc(ms) {
    return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  }
  function swatch(entry) {
    return (
      '<span class="swatch ' + (entry.point ? 'point ' : 'band ') +
      'k-' + entry.kind + ' v-' + entry.variant + '"></span>'
    );
  }

  /** The legend of the kinds present (all when present is null). */
  function renderLegend(legend, lanes, present) {
    var box = el('div', 'legend');
    var grid = el('div', 'legend-grid');
    var byLane = {};
    legend.forEach(function (entry) {
      if (present && !present[entry.kind + ' ' + entry.variant]) return;
      (byLane[entry.lane] = byLane[entry.lane] || []).push(entry);
    });
    lanes.concat([{ kind: 'cloud', label: 'WNS cloud' }]).forEach(function (lane) {
      var entries = byLane[lane.kind];
      if (!entries) return;
      var col = el('div', 'legend-lane');
      col.appendChild(el('div', 'legend-title', esc(lane.label)));
      entries.forEach(function (entry) {
        col.appendChild(el('div', 'legend-entry', swatch(entry) + esc(entry.label)));
      });
      grid.appendChild(col);
    });
    box.appendChild(grid);
    return box;
  }

  function card(title, value, rows) {
    var c = el('div', 'card');
    c.appendChild(el('div', 'card-title', esc(title)));
    if (value !== null) c.appendChild(el('div', 'card-value', esc(value)));
    if (rows && rows.length) {
      var t = '<table>';
      rows.forEach(function (r) {
        t += '<tr><td>' + r[0] + '</td><td class="num">' + esc(r[1]) + '</td></tr>';
      });
      c.appendChild(el('div', 'card-rows', t + '</table>'));
    }
    return c;
  }

  function renderSummary(s, legend) {
    var box = el('section', 'summary');
    function label(kind, variant, text) {
      for (var i = 0; i < legend.length; i++) {
        if (legend[i].kind === kind && legend[i].variant === variant)
          return swatch(legend[i]) + esc(text);
      }
      return esc(text);
    }
    box.appendChild(
      card('WNS connected', s.connected + ' / ' + s.devices, [
        ['devices', s.devices],
        ['events', s.events],
      ]),
    );
    box.appendChild(
      card(
        'Channels expiring ≤ 15 days',
        String(s.channels.expiringWithin15Days),
        [
          [label('channel', 'valid', 'valid'), s.channels.valid],
          [label('channel', 'none', 'expired'), s.channels.expired],
          [esc('no channel'), s.channels.none],
        ].concat(
          s.channels.expiringDevices.length
            ? [[esc('expiring'), s.channels.expiringDevices.join(', ')]]
            : [],
        ),
      ),
    );
    var pushRows = Object.keys(s.pushes).map(function (o) {
      return [label('push', o, o), s.pushes[o]];
    });
    var pushTotal = Object.keys(s.pushes).reduce(function (n, o) {
      return n + s.pushes[o];
    }, 0);
    box.appendChild(card('Pushes by outcome', String(pushTotal), pushRows));
    var started = 0;
    var sessionRows = Object.keys(s.sessions).map(function (t) {
      var c = s.sessions[t];
      started += c.started;
      var extra = [];
      if (c.failed) extra.push(c.failed + ' failed');
      if (c.skipped) extra.push(c.skipped + ' not possible');
      return [label('session', t, t), c.started + (extra.length ? ' (' + extra.join(', ') + ')' : '')];
    });
    box.appendChild(card('Sessions by trigger', String(started), sessionRows));
    var decisions = 0;
    var ruleRows = Object.keys(s.renewals).map(function (r) {
      decisions += s.renewals[r];
      return [label('renewal-window', r, r), s.renewals[r]];
    });
    box.appendChild(card('Renewals by rule', String(decisions), ruleRows));
    var attemptRows = ['succeeded', 'failed', 'skipped'].map(function (o) {
      return [label('renewal-attempt', o, o), s.attempts[o]];
    });
    box.appendChild(
      card(
        'Channel requests',
        String(s.attempts.succeeded + s.attempts.failed + s.attempts.skipped + s.attempts.pending),
        attemptRows,
      ),
    );
    return box;
  }

  function renderSection(section, index, data, root, onDrawn) {
    var model = section.model;
    var box = el('section', 'report-section');
    box.id = 'section-' + index;
    box.setAttribute('data-section', section.title);
    var head = el('div', 'section-head');
    head.appendChild(el('h2', '', esc(section.title)));
    var meta = [];
    meta.push(utc(model.start) + ' → ' + utc(model.end) + ' UTC');
    if (section.seed !== undefined && section.seed !== null) meta.push('seed ' + section.seed);
    meta.push(model.summary.devices + ' device' + (model.summary.devices === 1 ? '' : 's'));
    head.appendChild(el('div', 'meta', esc(meta.join(' · '))));
    if (section.description) head.appendChild(el('p', 'story', esc(section.description)));
    box.appendChild(head);
    box.appendChild(renderSummary(model.summary, data.legend));
    if (model.omittedDevices.length) {
      box.appendChild(
        el(
          'p',
          'note',
          esc(
            'The timeline shows the first ' + model.devices.length + ' devices; ' +
              model.omittedDevices.length +
              ' more are counted in the summary only (use --device to pick devices).',
          ),
        ),
      );
    }
    var hint = el(
      'p',
      'hint',
      'Drag to pan, scroll (Ctrl + wheel) to zoom; hover over an item or select it to read what happened.',
    );
    box.appendChild(hint);
    var container = el('div', 'timeline');
    box.appendChild(container);
    var details = el('div', 'details', '<em>Select an item on the timeline to read what happened.</em>');
    details.setAttribute('aria-live', 'polite');
    box.appendChild(details);
    root.appendChild(box);
    var present = {};
    var span = Math.max(model.end - model.start, 60000);
    var pad = span * 0.02;
    // Pushes are few and labelled: spread them over rows so that, at the first zoom, no label
    // covers another (the library's own stacking would stack every lane).
    var pxPerMs = Math.max(container.clientWidth - 200, 400) / (span + 2 * pad);
    function spreadLabels(lane) {
      var rowEnds = [];
      var rows = {};
      lane.items.forEach(function (item) {
        var x0 = (item.start - model.start) * pxPerMs;
        var x1 = Math.max(
          item.end === null ? x0 + 10 : (item.end - model.start) * pxPerMs,
          x0 + 14 + item.label.length * 6.5,
        );
        var r = 0;
        while (r < rowEnds.length && rowEnds[r] > x0 - 6) r++;
        rowEnds[r] = x1;
        rows[item.id] = item.row + (r ? '-' + r : '');
      });
      var names = [];
      for (var i = 0; i < Math.max(rowEnds.length, 1); i++) names.push(lane.kind + (i ? '-' + i : ''));
      return { rows: rows, names: names };
    }

    var groups = [];
    var items = [];
    var byId = {};
    var lo = model.start;
    var hi = model.end;
    function addItem(item, groupId, where, row) {
      var range = item.end !== null && item.end > item.start;
      var vi = {
        id: item.id,
        group: groupId,
        subgroup: row || item.row,
        start: new Date(item.start),
        type: range ? 'range' : 'point',
        content: item.label ? esc(item.label) : '&nbsp;',
        className: 'k-' + item.kind + ' v-' + item.variant,
        title: esc(item.explanation),
      };
      if (range) vi.end = new Date(item.end);
      lo = Math.min(lo, item.start);
      hi = Math.max(hi, range ? item.end : item.start);
      items.push(vi);
      present[item.kind + ' ' + item.variant] = true;
      byId[item.id] = { item: item, where: where };
    }
    function rowOrder(rows) {
      return function (a, b) {
        return rows.indexOf(a.subgroup) - rows.indexOf(b.subgroup);
      };
    }
    if (model.cloud.length) {
      groups.push({
        id: 'cloud',
        content: '<span class="device-name">WNS cloud</span>',
        className: 'g-cloud',
        treeLevel: 1,
      });
      model.cloud.forEach(function (item) {
        addItem(item, 'cloud', 'WNS cloud');
      });
    }
    model.devices.forEach(function (device) {
      var gid = 'device:' + device.id;
      groups.push({
        id: gid,
        content:
          '<span class="device-name">' + esc(device.id) + '</span>' +
          (device.os ? ' <span class="os">Windows 10 ' + esc(device.os) + '</span>' : ''),
        className: 'g-device',
        treeLevel: 1,
        nestedGroups: device.lanes.map(function (l) {
          return l.id;
        }),
        showNested: true,
      });
      device.lanes.forEach(function (lane) {
        var spread = lane.kind === 'push' ? spreadLabels(lane) : null;
        groups.push({
          id: lane.id,
          content: esc(lane.label),
          className: 'g-lane lane-' + lane.kind,
          treeLevel: 2,
          subgroupOrder: rowOrder(spread ? spread.names : lane.rows),
        });
        lane.items.forEach(function (item) {
          addItem(item, lane.id, device.id + ' · ' + lane.label, spread && spread.rows[item.id]);
        });
      });
    });

    var timeline = new vis.Timeline(container, new vis.DataSet(items), new vis.DataSet(groups), {
      moment: function (date) {
        return vis.moment(date).utc();
      },
      start: new Date(model.start - pad),
      end: new Date(model.end + pad),
      min: new Date(lo - span * 0.1),
      max: new Date(hi + span * 0.1),
      zoomMin: 60 * 1000,
      stack: false,
      stackSubgroups: true,
      orientation: { axis: 'top', item: 'top' },
      groupOrder: function () {
        return 0;
      },
      margin: { item: { horizontal: 0, vertical: 3 }, axis: 4 },
      showTooltips: true,
      tooltip: { followMouse: true, overflowMethod: 'flip', delay: 50 },
      zoomKey: 'ctrlKey',
      verticalScroll: false,
      selectable: true,
      multiselect: false,
      showCurrentTime: false,
      onInitialDrawComplete: onDrawn,
    });
    timeline.on('select', function (props) {
      var id = props.items && props.items[0];
      var hit = id !== undefined ? byId[id] : undefined;
      if (!hit) {
        details.innerHTML = '<em>Select an item on the timeline to read what happened.</em>';
        return;
      }
      var it = hit.item;
      var when = utc(it.start) + (it.end !== null && it.end > it.start ? ' → ' + utc(it.end) : '') + ' UTC';
      details.innerHTML =
        '<div class="details-head">' + swatch({ kind: it.kind, variant: it.variant, point: it.end === null }) +
        '<strong>' + esc(hit.where) + '</strong> · ' + esc(when) + '</div>' +
        '<p class="explanation">' + esc(it.explanation) + '</p>';
    });
    box.appendChild(renderLegend(data.legend, data.lanes, present));
    // Labels of short windows only show once zoomed in far enough for them to fit.
    function zoomClass() {
      var w = timeline.getWindow();
      var msPerPx = (w.end - w.start) / Math.max(container.clientWidth, 1);
      container.classList.toggle('zoom-far', msPerPx * 90 > 2 * 3600 * 1000);
    }
    zoomClass();
    timeline.on('rangechanged', zoomClass);
    return timeline;
  }

  /** Renders the report into root; onDrawn runs once every timeline has drawn its items. */
  function render(data, root, onDrawn) {
    var timelines = [];
    var waiting = data.sections.length;
    root.innerHTML = '';
    data.sections.forEach(function (section, i) {
      timelines.push(
        renderSection(section, i, data, root, function () {
          waiting--;
          if (waiting === 0 && onDrawn) onDrawn();
        }),
      );
    });
    if (waiting === 0 && onDrawn) onDrawn();
    return timelines;
  }

  var api = { render: render, timelines: [] };
  window.dmpushReport = api;
  var source = document.getElementById('dmpush-data');
  var root = document.getElementById('report');
  if (source && root) {
    api.data = JSON.parse(source.textContent);
    api.timelines = render(api.data, root, function () {
      document.body.setAttribute('data-ready', 'true');
    });
  }
})();
`;

/** The report's own styles (the library's come separately). Colours are keyed by kind and variant. */
export const REPORT_CSS = String.raw`
:root { color-scheme: light; --fg: #1f2933; --muted: #616e7c; --line: #d9dee3; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 24px 32px; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: #fafbfc; }
h1 { font-size: 20px; margin: 0 0 2px; }
h2 { font-size: 15px; margin: 0; }
.page-meta { color: var(--muted); margin-bottom: 12px; }
.legend { margin-top: 8px; }
.legend-grid { display: flex; flex-wrap: wrap; gap: 4px 22px; }
.legend-title { font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.legend-entry { white-space: nowrap; font-size: 12px; }
.swatch { display: inline-block; vertical-align: -2px; margin-right: 5px; border: 1px solid #777; }
.swatch.band { width: 18px; height: 11px; border-radius: 2px; }
.swatch.point { width: 10px; height: 10px; border-radius: 50%; border-width: 3px; background: #fff; }
.report-section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin-bottom: 18px; }
.section-head .meta { color: var(--muted); }
.section-head .story { margin: 4px 0 8px; max-width: 1100px; }
.summary { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; min-width: 150px; background: #fcfcfd; }
.card-title { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
.card-value { font-size: 22px; font-weight: 600; line-height: 1.2; }
.card table { border-collapse: collapse; font-size: 12px; }
.card td { padding: 0 6px 0 0; white-space: nowrap; }
.card td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note, .hint { color: var(--muted); margin: 4px 0; font-size: 12px; }
.timeline { border-top: 1px solid var(--line); }
.details { margin-top: 8px; padding: 8px 10px; min-height: 48px; border-left: 4px solid #4a6fa5; background: #f3f6fa; }
.details .explanation { margin: 4px 0 0; font-size: 13px; }
.vis-item.vis-range.k-push .vis-item-overflow { overflow: visible; }
.timeline.zoom-far .vis-item.k-renewal-window:not(.v-fifteen-day-mark) .vis-item-content { visibility: hidden; }

/* vis-timeline: lanes and labels */
.vis-timeline { border: none; font-size: 11px; }
.vis-labelset .vis-label { color: var(--fg); }
.vis-labelset .vis-label.g-device, .vis-labelset .vis-label.g-cloud { background: #eef2f7; font-weight: 600; }
.vis-labelset .vis-label.vis-nested-group.g-lane { background: #fff; }
.vis-ltr .vis-labelset .vis-label.g-lane .vis-inner { padding: 2px 8px 2px 22px; font-size: 11px; color: var(--muted); }
.vis-foreground .vis-group.g-device { background: #eef2f7; }
.vis-label .os { font-weight: 400; color: var(--muted); font-size: 11px; }
.vis-item { font-size: 11px; border-radius: 2px; }
.vis-item.vis-range { height: 16px; line-height: 14px; border-width: 1px; }
.vis-item .vis-item-content { padding: 0 4px; }
.vis-item.vis-point .vis-item-content { padding-left: 2px; }
.vis-item.vis-dot { border-width: 4px; border-radius: 4px; }
.vis-item.vis-selected { box-shadow: 0 0 0 2px #1f2933; z-index: 3; }
div.vis-tooltip { font: 12px/1.4 system-ui, "DejaVu Sans", sans-serif; max-width: 460px; white-space: normal; background: #fff; border: 1px solid #999; box-shadow: 0 2px 6px rgba(0,0,0,.2); padding: 6px 8px; }

/* colours per kind and variant: bands (.vis-range, .swatch.band) and points (.vis-dot, .swatch.point) */
.k-wns.v-up { background: #c8e6c9; border-color: #2e7d32; color: #1b5e20; }
.k-wns.v-down { background: #ffcdd2; border-color: #c62828; color: #8e0000; }
.k-battery.v-high { background: #e8f5e9; border-color: #81c784; }
.k-battery.v-mid { background: #fff8e1; border-color: #ffca28; }
.k-battery.v-low { background: #ffe0b2; border-color: #ef6c00; }
.k-battery-saver.v-on { background: #ffb300; border-color: #e65100; color: #3e2723; }
.k-data-sense.v-limit { background: #e1bee7; border-color: #8e24aa; color: #4a148c; }
.k-network.v-online { background: #bbdefb; border-color: #1565c0; color: #0d47a1; }
.k-network.v-no-internet { background: #ffe0b2; border-color: #ef6c00; border-style: dashed; color: #8d3d00; }
.k-network.v-offline { background: repeating-linear-gradient(135deg, #e0e0e0 0 5px, #f5f5f5 5px 10px); border-color: #616161; color: #212121; }
.k-channel.v-valid { background: #b2dfdb; border-color: #00796b; color: #004d40; }
.k-channel.v-none { background: #fff; border-color: #c62828; border-style: dashed; color: #c62828; }
.k-renewal-window.v-fifteen-day-mark { background: #e0f2f1; border-color: #4db6ac; border-style: dashed; color: #00695c; }
.k-renewal-window.v-within-fifteen-days { background: #ffe082; border-color: #ff8f00; color: #5d4037; }
.k-renewal-window.v-expired { background: #ef9a9a; border-color: #c62828; color: #5d0000; }
.k-renewal-window.v-no-network { background: #b0bec5; border-color: #455a64; color: #263238; }
.k-renewal-attempt.v-succeeded { border-color: #2e7d32; }
.k-renewal-attempt.v-failed { border-color: #c62828; }
.k-renewal-attempt.v-skipped { border-color: #90a4ae; }
.k-push.v-delivered { border-color: #2e7d32; }
.k-push.v-delivered-from-cache { background: #b2dfdb; border-color: #00897b; color: #004d40; }
.k-push.v-cached { background: #fff3c4; border-color: #f9a825; color: #5d4037; }
.k-push.v-dropped { border-color: #c62828; color: #c62828; }
.k-push.v-expired { background: #ffccbc; border-color: #d84315; color: #7f1d00; }
.k-push.v-rejected { border-color: #212121; color: #212121; }
.k-session.v-poll { border-color: #1976d2; }
.k-session.v-push { border-color: #7b1fa2; }
.k-session.v-renewal { border-color: #00897b; }
.k-session.v-provisioned { border-color: #455a64; }
.k-session.v-failed { border-color: #d50000; }
.k-session.v-skipped { border-color: #bdbdbd; }
.k-push-status.v-ok { border-color: #2e7d32; }
.k-push-status.v-error { border-color: #c62828; color: #c62828; }
.k-pfn-blocked.v-blocked { background: #424242; border-color: #000; color: #fff; }
`;
