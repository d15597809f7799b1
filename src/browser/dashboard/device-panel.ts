/**
 * The selected device's panel: its title, its conditions, DMClient nodes and enrollment as facts,
 * the controls' current values, and its DM tree.
 */
import { formatIsoTime } from '../../report/format.js';
import { osLabel } from '../../core/os/os-profiles.js';
import { byId, esc, field, form } from '../shared/dom.js';
import { fact, pill, pushStatusPill, tenth } from './badges.js';
import { enrollmentFacts } from './enrollment.js';
import { selectedDevice } from './state.js';
import type { DeviceJson, TreeNode } from './wire.js';

/** Values longer than this are cut in the tree (the cell's title holds the whole). */
const TREE_VALUE_MAX = 120;

function facts(d: DeviceJson): string[] {
  const n = d.network;
  const ds = d.dataSense;
  const network = !n.connected
    ? '<span class="pill bad">offline</span>'
    : esc(
        n.type +
          (n.internet ? '' : ', no internet') +
          (n.metered ? ', metered' : '') +
          (n.wnsReachable ? '' : ', WNS blocked'),
      );
  const limit = ds.limitMB === null ? ' (no limit)' : ` of ${ds.limitMB} MB`;
  return [
    fact(
      'Battery',
      `${esc(tenth(d.battery.level))}%${d.battery.charging ? ', charging' : ''} · Battery Saver ` +
        (d.battery.saverOn ? '<span class="pill warn">on</span>' : 'off') +
        ` · screen ${esc(d.screen)}` +
        (d.poweredOff ? ' <span class="pill bad">off: empty battery</span>' : ''),
    ),
    fact('Held pushes', d.heldPushes > 0 ? `<span class="pill warn">${d.heldPushes}</span>` : '0'),
    fact(
      'WNS',
      pill(d.wnsConnected, 'connected', 'disconnected') +
        (d.wnsPushService === 'disabled'
          ? ' <span class="pill bad">push routing service disabled</span>'
          : ''),
    ),
    fact('Network', network),
    fact(
      'Data Sense',
      esc(`${tenth(ds.usedMB)} MB${limit}`) +
        (ds.limitReached ? ' <span class="pill bad">limit reached</span>' : ''),
    ),
    fact('Push/PFN', d.pfn ? `<code>${esc(d.pfn)}</code>` : '<span class="dim">none</span>'),
    fact('Push/Status', pushStatusPill(d.pushStatus)),
    fact(
      'Push/ChannelURI',
      d.channelUri
        ? `<code class="uri" title="${esc(d.channelUri)}">${esc(d.channelUri)}</code> expires ${esc(formatIsoTime(d.channelExpiresAt))}`
        : '<span class="dim">none</span>',
      true,
    ),
    fact('Next renewal', esc(formatIsoTime(d.nextRenewalAt))),
    ...enrollmentFacts(d),
  ];
}

/** The selected device's title and facts. */
export function renderDeviceHead(): void {
  const d = selectedDevice();
  if (!d) return;
  byId('device-title').innerHTML =
    `${esc(d.id)} <span class="os">${esc(osLabel(d.os))}</span>` +
    (d.sessionRunning ? ' <span class="pill info">session running</span>' : '');
  byId('device-facts').innerHTML = facts(d).join('');
}

/** Fills the controls from the device (on selection and after a change, not on live updates). */
export function fillControls(): void {
  const d = selectedDevice();
  if (!d) return;
  const battery = form('ctl-battery');
  field(battery, 'level').value = String(Math.round(d.battery.level));
  field(battery, 'charging').checked = d.battery.charging;
  field(battery, 'screenOn').checked = d.screen === 'on';
  const network = form('ctl-network');
  field(network, 'connected').checked = d.network.connected;
  field(network, 'internet').checked = d.network.internet;
  field(network, 'metered').checked = d.network.metered;
  const dataSense = form('ctl-datasense');
  field(dataSense, 'usedMB').value = String(tenth(d.dataSense.usedMB));
  field(dataSense, 'limitMB').value =
    d.dataSense.limitMB === null ? '' : String(d.dataSense.limitMB);
  field(form('ctl-pfn'), 'pfn').value = d.pfn ?? '';
}

/** The DM tree, one row per present node, indented by depth. */
export function renderTree(nodes: readonly TreeNode[]): void {
  byId('tree-body').innerHTML = nodes
    .map((n) => {
      const depth = n.uri.split('/').length - 2;
      const name = n.uri.slice(n.uri.lastIndexOf('/') + 1);
      const value = n.value ?? '';
      const cut = value.length > TREE_VALUE_MAX ? `${value.slice(0, TREE_VALUE_MAX - 3)}…` : value;
      return (
        `<tr data-uri="${esc(n.uri)}" class="${n.format === 'node' ? 'interior' : 'leaf'}">` +
        `<td class="uri" title="${esc(n.uri)}" style="padding-left:${6 + depth * 12}px">${esc(name)}</td>` +
        `<td>${esc(n.format)}</td>` +
        `<td>${esc(n.access.join(', '))}</td>` +
        `<td class="value" title="${esc(value)}">${esc(cut)}</td>` +
        '</tr>'
      );
    })
    .join('');
  byId('tree-count').textContent = `${nodes.length} nodes`;
}
