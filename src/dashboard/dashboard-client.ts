/**
 * The browser side of the live dashboard (`dmpush serve`, `GET /` on the control port), as strings
 * embedded in its page: a script that lists the fleet, shows the chosen device (its conditions,
 * controls, timeline and DM tree) and keeps everything current from the `/api/live` WebSocket; and
 * its stylesheet, on top of the report's. Plain ES2017, no modules; it talks only to the control
 * API it was served by. The timeline is drawn by the report's own script
 * (`window.dmpushReport.render`) from `GET /api/devices/{id}/timeline`.
 *
 * @see ./dashboard-page.ts for the page, ../adapters/http/control-api.ts for the routes.
 */

export const DASHBOARD_JS = String.raw`(function () {
  'use strict';
  var PUSH_STATUS = {
    0: 'success', 1: 'invalid PFN', 2: 'invalid MSA auth', 3: 'WNS registration failed',
    4: 'no Channel URI', 5: 'Channel URI expired', 6: 'revoke failed',
    7: 'push without session', 8: 'unknown error'
  };
  var REFRESH_MS = 400;
  var FEED_SIZE = 40;
  /** Rows of the fleet list per page (a fleet of thousands stays quick to redraw). */
  var PAGE_SIZE = 50;
  var state = {
    devices: {},
    order: [],
    selected: null,
    now: null,
    mode: null,
    timelines: [],
    feed: [],
    refreshTimer: null,
    refreshing: false,
    again: false,
    lastRefresh: 0,
    rev: 0,
    ready: false,
    page: 0,
    filter: '',
    /** The window the user zoomed or panned the selected device's timeline to (kept on redraw). */
    view: null
  };

  function $(id) {
    return document.getElementById(id);
  }
  function esc(s) {
    return String(s)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  }
  function utc(iso) {
    return iso ? iso.slice(0, 16).replace('T', ' ') : '—';
  }
  function api(method, path, body) {
    var init = { method: method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    return fetch(path, init).then(function (res) {
      return res.json().then(function (json) {
        if (!res.ok) throw new Error((json && json.error) || 'HTTP ' + res.status);
        return json;
      });
    });
  }
  function devicePath(id, rest) {
    return '/api/devices/' + encodeURIComponent(id) + (rest || '');
  }
  function pill(ok, yes, no, cls) {
    return '<span class="pill ' + (ok ? 'ok' : cls || 'bad') + '">' + esc(ok ? yes : no) + '</span>';
  }

  // ---- fleet list ----------------------------------------------------------------------------

  function setDevice(d) {
    if (!state.devices[d.id]) state.order.push(d.id);
    state.devices[d.id] = d;
  }

  /** The devices the filter lets through, in fleet order. */
  function shown() {
    var f = state.filter;
    return f === '' ? state.order : state.order.filter(function (id) {
      return id.toLowerCase().indexOf(f) >= 0;
    });
  }

  function renderFleet() {
    var list = shown();
    var pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    if (state.page >= pages) state.page = pages - 1;
    var first = state.page * PAGE_SIZE;
    var rows = list.slice(first, first + PAGE_SIZE).map(function (id) {
      var d = state.devices[id];
      var b = d.battery;
      return (
        '<tr data-device="' + esc(id) + '" class="' + (id === state.selected ? 'selected' : '') + '">' +
        '<td class="id">' + esc(id) + '</td>' +
        '<td>' + esc(d.os) + '</td>' +
        '<td class="num">' + esc(Math.round(b.level)) + '%' + (b.charging ? ' <span title="charging">⚡</span>' : '') + '</td>' +
        '<td>' + (b.saverOn ? '<span class="pill warn">on</span>' : '<span class="dim">off</span>') + '</td>' +
        '<td>' + pill(d.wnsConnected, 'connected', 'disconnected') + '</td>' +
        '<td>' + pill(d.pushStatus === 0, d.pushStatus + ' ' + PUSH_STATUS[d.pushStatus], d.pushStatus + ' ' + PUSH_STATUS[d.pushStatus]) + '</td>' +
        '<td class="num" title="' + esc(utc(d.channelExpiresAt)) + '">' + esc(utc(d.channelExpiresAt).slice(5)) + '</td>' +
        '</tr>'
      );
    });
    $('fleet-body').innerHTML = rows.join('');
    $('fleet-count').textContent = state.order.length + ' device' + (state.order.length === 1 ? '' : 's');
    $('fleet-pager').hidden = list.length <= PAGE_SIZE;
    $('fleet-range').textContent =
      list.length === 0 ? 'none' : first + 1 + '–' + Math.min(first + PAGE_SIZE, list.length) + ' of ' + list.length;
    $('fleet-pager').querySelector('[data-page="-1"]').disabled = state.page === 0;
    $('fleet-pager').querySelector('[data-page="1"]').disabled = state.page >= pages - 1;
  }

  /** Turns to the page that holds the device (when the filter shows it). */
  function pageOf(id) {
    var at = shown().indexOf(id);
    if (at >= 0) state.page = Math.floor(at / PAGE_SIZE);
  }

  function renderClock() {
    $('clock-now').textContent = state.now ? utc(state.now) + ' UTC' : '—';
    $('clock-mode').textContent = state.mode ? state.mode + ' clock' : '';
    $('advance').hidden = state.mode !== 'virtual';
  }

  function renderFeed() {
    $('feed').innerHTML = state.feed
      .map(function (e) {
        return (
          '<li><span class="when">' + esc(utc(e.time).slice(5)) + '</span> ' +
          (e.device ? '<span class="who">' + esc(e.device) + '</span> ' : '') +
          esc(e.text || e.type) + '</li>'
        );
      })
      .join('');
  }

  // ---- the selected device -------------------------------------------------------------------

  function fact(label, value, wide) {
    return '<div class="fact' + (wide ? ' wide' : '') + '"><span class="label">' + esc(label) + '</span> ' + value + '</div>';
  }

  function renderDeviceHead() {
    var d = state.devices[state.selected];
    if (!d) return;
    var n = d.network;
    var ds = d.dataSense;
    $('device-title').innerHTML =
      esc(d.id) + ' <span class="os">Windows 10 ' + esc(d.os) + '</span>' +
      (d.sessionRunning ? ' <span class="pill info">session running</span>' : '');
    $('device-facts').innerHTML = [
      fact('Battery', esc(Math.round(d.battery.level * 10) / 10) + '%' + (d.battery.charging ? ', charging' : '') +
        ' · Battery Saver ' + (d.battery.saverOn ? '<span class="pill warn">on</span>' : 'off')),
      fact('WNS', pill(d.wnsConnected, 'connected', 'disconnected')),
      fact('Network', !n.connected ? '<span class="pill bad">offline</span>' :
        esc(n.type + (n.internet ? '' : ', no internet') + (n.metered ? ', metered' : '') + (n.wnsReachable ? '' : ', WNS blocked'))),
      fact('Data Sense', esc(Math.round(ds.usedMB * 10) / 10 + ' MB' + (ds.limitMB === null ? ' (no limit)' : ' of ' + ds.limitMB + ' MB')) +
        (ds.limitReached ? ' <span class="pill bad">limit reached</span>' : '')),
      fact('Push/PFN', d.pfn ? '<code>' + esc(d.pfn) + '</code>' : '<span class="dim">none</span>'),
      fact('Push/Status', pill(d.pushStatus === 0, d.pushStatus + ' ' + PUSH_STATUS[d.pushStatus], d.pushStatus + ' ' + PUSH_STATUS[d.pushStatus])),
      fact('Push/ChannelURI', d.channelUri ? '<code class="uri" title="' + esc(d.channelUri) + '">' + esc(d.channelUri) + '</code> expires ' + esc(utc(d.channelExpiresAt)) : '<span class="dim">none</span>', true),
      fact('Next renewal', esc(utc(d.nextRenewalAt)))
    ].join('');
  }

  /** Fills the controls from the device (on selection and after a change, not on live updates). */
  function fillControls() {
    var d = state.devices[state.selected];
    if (!d) return;
    var f = document.forms;
    f['ctl-battery'].level.value = Math.round(d.battery.level);
    f['ctl-battery'].charging.checked = d.battery.charging;
    f['ctl-network'].connected.checked = d.network.connected;
    f['ctl-network'].internet.checked = d.network.internet;
    f['ctl-network'].metered.checked = d.network.metered;
    f['ctl-datasense'].usedMB.value = Math.round(d.dataSense.usedMB * 10) / 10;
    f['ctl-datasense'].limitMB.value = d.dataSense.limitMB === null ? '' : d.dataSense.limitMB;
    f['ctl-pfn'].pfn.value = d.pfn || '';
  }

  function renderTree(nodes) {
    var rows = nodes.map(function (n) {
      var depth = n.uri.split('/').length - 2;
      var name = n.uri.slice(n.uri.lastIndexOf('/') + 1);
      var value = n.value === null ? '' : n.value;
      var shown = value.length > 120 ? value.slice(0, 117) + '…' : value;
      return (
        '<tr data-uri="' + esc(n.uri) + '" class="' + (n.format === 'node' ? 'interior' : 'leaf') + '">' +
        '<td class="uri" title="' + esc(n.uri) + '" style="padding-left:' + (6 + depth * 12) + 'px">' + esc(name) + '</td>' +
        '<td>' + esc(n.format) + '</td>' +
        '<td>' + esc(n.access.join(', ')) + '</td>' +
        '<td class="value" title="' + esc(value) + '">' + esc(shown) + '</td>' +
        '</tr>'
      );
    });
    $('tree-body').innerHTML = rows.join('');
    $('tree-count').textContent = nodes.length + ' nodes';
  }

  /**
   * Draws the new timeline off to the side (hidden, but laid out) and swaps it in once drawn, so
   * that a live update never shows an empty box.
   */
  function drawTimeline(data, done) {
    var box = $('timeline');
    var next = document.createElement('div');
    next.className = 'timeline-next';
    box.appendChild(next);
    var old = state.timelines;
    var id = state.selected;
    var swapped = false;
    var swap = function () {
      if (swapped) return;
      swapped = true;
      old.forEach(function (t) {
        t.destroy();
      });
      Array.prototype.slice.call(box.children).forEach(function (c) {
        if (c !== next) box.removeChild(c);
      });
      // A live redraw keeps the user's zoom; a new device starts with the whole timeline.
      var view = state.view && state.view.device === id ? state.view : null;
      // (render may report an empty report drawn before it returns its timelines)
      (state.timelines === old ? [] : state.timelines).forEach(function (t) {
        // Its own window, for "show all".
        t.dmpushHome = t.getWindow();
        if (view) t.setWindow(view.start, view.end, { animation: false });
        t.on('rangechanged', function (p) {
          if (p.byUser) state.view = { device: id, start: p.start.valueOf(), end: p.end.valueOf() };
        });
      });
      next.className = '';
      done();
    };
    state.timelines = window.dmpushReport.render(data, next, swap);
    // A timeline with nothing to draw may never report its first draw.
    setTimeout(swap, 1000);
  }

  function refreshSelected() {
    var id = state.selected;
    if (!id) return;
    if (state.refreshing) {
      state.again = true;
      return;
    }
    state.refreshing = true;
    state.lastRefresh = Date.now();
    $('device-panel').setAttribute('data-busy', 'true');
    Promise.all([api('GET', devicePath(id, '/timeline')), api('GET', devicePath(id, '/tree'))])
      .then(function (r) {
        if (id !== state.selected) {
          state.refreshing = false;
          refreshSelected();
          return;
        }
        renderDeviceHead();
        renderTree(r[1]);
        var drawn = false;
        var finish = function () {
          if (drawn) return;
          drawn = true;
          state.refreshing = false;
          if (state.again) {
            state.again = false;
            scheduleRefresh();
          } else if (state.refreshTimer === null) $('device-panel').removeAttribute('data-busy');
          state.rev++;
          $('device-panel').setAttribute('data-rev', String(state.rev));
          if (!state.ready) {
            state.ready = true;
            document.body.setAttribute('data-ready', 'true');
          }
        };
        drawTimeline(r[0], finish);
      })
      .catch(function (e) {
        $('device-error').textContent = e.message;
        state.refreshing = false;
        $('device-panel').removeAttribute('data-busy');
      });
  }

  function scheduleRefresh() {
    if (state.refreshTimer !== null) return;
    $('device-panel').setAttribute('data-busy', 'true');
    var wait = Math.max(0, REFRESH_MS - (Date.now() - state.lastRefresh));
    state.refreshTimer = setTimeout(function () {
      state.refreshTimer = null;
      refreshSelected();
    }, wait);
  }

  function select(id) {
    if (!state.devices[id]) return;
    if (id !== state.selected) state.view = null;
    state.selected = id;
    pageOf(id);
    if (location.hash !== '#' + id) history.replaceState(null, '', '#' + encodeURIComponent(id));
    $('device-panel').hidden = false;
    $('device-panel').setAttribute('data-device', id);
    $('device-error').textContent = '';
    Array.prototype.forEach.call(document.querySelectorAll('.controls .result'), function (r) {
      r.textContent = '';
      r.className = 'result';
    });
    renderFleet();
    renderDeviceHead();
    fillControls();
    refreshSelected();
  }

  // ---- controls ------------------------------------------------------------------------------

  function number(input) {
    var v = input.value.trim();
    return v === '' ? null : Number(v);
  }

  function showResult(form, ok, text) {
    var out = form.querySelector('.result');
    out.className = 'result ' + (ok ? 'ok' : 'error');
    out.textContent = text;
  }

  function submit(form, request, describe) {
    var button = form.querySelector('button');
    button.disabled = true;
    request()
      .then(function (json) {
        if (json && json.id && state.devices[json.id]) {
          setDevice(json);
          renderFleet();
          renderDeviceHead();
          fillControls();
        }
        showResult(form, true, describe(json));
        scheduleRefresh();
      })
      .catch(function (e) {
        showResult(form, false, e.message);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function patch(body) {
    return function () {
      return api('PATCH', devicePath(state.selected), body);
    };
  }

  var CONTROLS = {
    'ctl-battery': function (f) {
      return [patch({ battery: { level: number(f.level), charging: f.charging.checked } }), function (d) {
        return 'battery ' + d.battery.level + '%, Battery Saver ' + (d.battery.saverOn ? 'on' : 'off') +
          ', WNS ' + (d.wnsConnected ? 'connected' : 'disconnected');
      }];
    },
    'ctl-network': function (f) {
      return [patch({ network: { connected: f.connected.checked, internet: f.internet.checked, metered: f.metered.checked } }), function (d) {
        return 'network ' + (d.network.connected ? 'connected' : 'offline') + ', WNS ' + (d.wnsConnected ? 'connected' : 'disconnected');
      }];
    },
    'ctl-datasense': function (f) {
      return [patch({ dataSense: { usedMB: number(f.usedMB), limitMB: number(f.limitMB) } }), function (d) {
        return 'Data Sense limit ' + (d.dataSense.limitReached ? 'reached' : 'not reached');
      }];
    },
    'ctl-pfn': function (f) {
      var pfn = f.pfn.value.trim();
      return [patch({ pfn: pfn === '' ? null : pfn }), function (d) {
        return 'Push/PFN ' + (d.pfn || 'cleared');
      }];
    },
    'ctl-push': function (f) {
      var body = {};
      if (f.cachePolicy.value) body.cachePolicy = f.cachePolicy.value;
      var ttl = number(f.ttlSeconds);
      if (ttl !== null) body.ttlSeconds = ttl;
      return [function () {
        return api('POST', devicePath(state.selected, '/push'), body);
      }, function (r) {
        return Object.keys(r)
          .filter(function (k) {
            var v = r[k];
            return v !== null && typeof v !== 'object';
          })
          .map(function (k) {
            return k + ': ' + r[k];
          })
          .join(' · ');
      }];
    }
  };

  Object.keys(CONTROLS).forEach(function (name) {
    var form = document.forms[name];
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!state.selected) return;
      var c = CONTROLS[name](form);
      submit(form, c[0], c[1]);
    });
  });

  document.forms['ctl-advance'].addEventListener('submit', function (ev) {
    ev.preventDefault();
    var form = ev.target;
    submit(form, function () {
      return api('POST', '/api/clock/advance', { duration: form.duration.value.trim() });
    }, function (r) {
      state.now = r.now;
      renderClock();
      return 'now ' + utc(r.now);
    });
  });

  $('fleet-body').addEventListener('click', function (ev) {
    var row = ev.target.closest('tr[data-device]');
    if (row) select(row.getAttribute('data-device'));
  });

  $('fleet-pager').addEventListener('click', function (ev) {
    var button = ev.target.closest('button[data-page]');
    if (!button) return;
    state.page = Math.max(0, state.page + Number(button.getAttribute('data-page')));
    renderFleet();
  });

  $('fleet-filter').addEventListener('input', function (ev) {
    state.filter = ev.target.value.trim().toLowerCase();
    state.page = 0;
    renderFleet();
  });

  $('timeline-fit').addEventListener('click', function () {
    state.view = null;
    state.timelines.forEach(function (t) {
      if (t.dmpushHome) t.setWindow(t.dmpushHome.start, t.dmpushHome.end, { animation: false });
    });
  });

  // ---- live updates --------------------------------------------------------------------------

  function onMessage(msg) {
    if (msg.now) state.now = msg.now;
    if (msg.clock) state.mode = msg.clock;
    var touched = false;
    (msg.devices || []).forEach(function (d) {
      setDevice(d);
      if (d.id === state.selected) touched = true;
    });
    (msg.events || []).forEach(function (e) {
      if (e.device === state.selected) touched = true;
      state.feed.unshift(e);
    });
    if (state.feed.length > FEED_SIZE) state.feed.length = FEED_SIZE;
    if (msg.dropped) touched = true;
    renderClock();
    renderFleet();
    renderFeed();
    if (touched) {
      renderDeviceHead();
      scheduleRefresh();
    }
    if (!state.selected && state.order.length) select(state.order[0]);
  }

  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/live');
    ws.onopen = function () {
      $('live').className = 'pill ok';
      $('live').textContent = 'live';
    };
    ws.onmessage = function (ev) {
      onMessage(JSON.parse(ev.data));
    };
    ws.onclose = function () {
      $('live').className = 'pill bad';
      $('live').textContent = 'reconnecting…';
      setTimeout(connect, 1000);
    };
  }

  // For scripting the page (and its tests): the selected device's drawn vis timelines and zoom.
  window.dmpushDashboard = {
    timelines: function () {
      return state.timelines;
    },
    /** The window the user zoomed to, kept across live redraws; null for the whole timeline. */
    view: function () {
      return state.view;
    }
  };

  api('GET', '/api/clock')
    .then(function (c) {
      state.now = c.now;
      state.mode = c.mode;
      renderClock();
      return api('GET', '/api/devices');
    })
    .then(function (list) {
      list.forEach(setDevice);
      renderFleet();
      var wanted = decodeURIComponent(location.hash.slice(1));
      if (state.devices[wanted]) select(wanted);
      else if (state.order.length) select(state.order[0]);
      connect();
    })
    .catch(function (e) {
      $('device-error').textContent = 'cannot reach the control API: ' + e.message;
    });
})();
`;

/** The dashboard's own styles, after the report's. */
export const DASHBOARD_CSS = String.raw`
body { padding: 12px 18px 24px; }
header.top { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; margin-bottom: 10px; }
header.top .clock { font-variant-numeric: tabular-nums; }
header.top form { margin-left: auto; }
.layout { display: grid; grid-template-columns: minmax(590px, 39%) 1fr; gap: 14px; align-items: start; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin-bottom: 14px; }
.panel h2 { margin-bottom: 6px; }
.panel h2 .count, .panel h2 .os { font-weight: 400; color: var(--muted); font-size: 12px; }
table.grid { border-collapse: collapse; width: 100%; font-size: 12px; }
table.grid th { white-space: nowrap; text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding: 3px 6px; }
table.grid td { padding: 3px 5px; border-bottom: 1px solid #eef0f2; white-space: nowrap; }
table.grid td.num { text-align: right; font-variant-numeric: tabular-nums; }
#fleet-body tr { cursor: pointer; }
.fleet-tools { display: flex; gap: 8px; align-items: center; justify-content: space-between; margin: 0 0 6px; }
.fleet-tools input { flex: 1; min-width: 0; font: inherit; padding: 2px 6px; }
#fleet-pager button, #timeline-fit { font: inherit; font-size: 12px; padding: 0 8px; cursor: pointer; }
#timeline-fit { float: right; font-weight: normal; }
#fleet-body tr:hover { background: #f3f6fa; }
#fleet-body tr.selected { background: #e3ecf7; }
#fleet-body td.id { font-weight: 600; }
.pill { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; line-height: 16px; border: 1px solid transparent; }
.pill.ok { background: #e6f4ea; color: #1e6b34; border-color: #a8d5b5; }
.pill.bad { background: #fdecea; color: #a12622; border-color: #f0b4ae; }
.pill.warn { background: #fff3c4; color: #6d4c00; border-color: #f2c94c; }
.pill.info { background: #ede7f6; color: #4527a0; border-color: #c5b5e6; }
.dim { color: var(--muted); }
code { font: 11px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
code.uri { display: inline-block; max-width: 560px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
#feed { list-style: none; margin: 0; padding: 0; font-size: 12px; max-height: 300px; overflow: auto; }
#feed li { padding: 2px 0; border-bottom: 1px solid #f0f2f4; }
#feed .when { color: var(--muted); font-variant-numeric: tabular-nums; }
#feed .who { font-weight: 600; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 2px 16px; margin: 4px 0 8px; }
.fact .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .03em; font-weight: 600; margin-right: 4px; }
.controls { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 8px; }
.controls form, header.top form { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; background: #fcfcfd; font-size: 12px; }
.controls form .card-title { margin-bottom: 3px; }
.controls label { margin-right: 8px; white-space: nowrap; }
.controls input[type=number] { width: 70px; }
.controls input[type=text] { width: 100%; }
input, select, button { font: inherit; }
button { margin-top: 4px; padding: 1px 10px; border: 1px solid #4a6fa5; background: #4a6fa5; color: #fff; border-radius: 4px; cursor: pointer; }
button:disabled { opacity: .6; }
header.top form button { margin-top: 0; }
.result { display: block; margin-top: 3px; min-height: 1em; font-size: 11px; overflow-wrap: anywhere; }
.result.ok { color: #1e6b34; }
.result.error { color: #a12622; font-weight: 600; }
#device-error { color: #a12622; }
#timeline .report-section { border: none; padding: 0; margin: 0; }
#timeline .section-head { display: none; }
#timeline { position: relative; }
#timeline .timeline-next { position: absolute; left: 0; right: 0; top: 0; visibility: hidden; }
#timeline .summary, #timeline .hint { display: none; }
.fact.wide { grid-column: 1 / -1; }
header.top .result { display: inline; margin-left: 6px; }
.tree-box { max-height: 460px; overflow: auto; }
#tree-body tr.interior td { color: var(--muted); }
#tree-body td.uri { font: 11px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
#tree-body td.value { font: 11px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; white-space: normal; overflow-wrap: anywhere; }
`;
