/**
 * The live dashboard's server side (issue 5 §2), without a browser: `dmpush serve` in process on a
 * virtual clock; the page is self-contained, the DM tree and timeline routes answer JSON, and the
 * `/api/live` WebSocket pushes events and device snapshots after a change.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { DmTree } from '../../src/core/dm/dm-tree.js';
import { PUSH_STATUS_TEXT } from '../../src/core/dmclient/push-status.js';
import { browserBundle } from '../../src/adapters/pages/browser-bundle.js';
import { TEST_SERVE } from '../helpers/serve.js';
import { until } from '../helpers/until.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

interface TreeNode {
  readonly uri: string;
  readonly format: string;
  readonly access: string[];
  readonly value: string | null;
}

interface LiveMessage {
  readonly type: string;
  readonly now: string;
  readonly clock?: string;
  readonly events?: Array<{ type: string; device: string | null; time: string; text: string }>;
  readonly devices: Array<{
    id: string;
    wnsConnected: boolean;
    battery: { level: number; saverOn: boolean };
  }>;
  readonly dropped?: number;
}

describe('DmTree.list', () => {
  it('lists present nodes depth first with their values, reading bound leaves now', () => {
    let bound: string | null = 'one';
    const tree = new DmTree()
      .define('./A', { format: 'node', access: ['Get'] })
      .define('./A/B', { format: 'chr', access: ['Get', 'Replace'], value: 'b' })
      .define('./A/Absent', { format: 'chr', access: ['Add'] })
      .define('./A/Bound', { format: 'int', access: ['Get'], read: () => bound })
      .define('./C', { format: 'node', access: ['Get'] });
    expect(tree.list()).toEqual([
      { uri: './A', format: 'node', access: ['Get'], value: null },
      { uri: './A/B', format: 'chr', access: ['Get', 'Replace'], value: 'b' },
      { uri: './A/Bound', format: 'int', access: ['Get'], value: 'one' },
      { uri: './C', format: 'node', access: ['Get'], value: null },
    ]);
    bound = null;
    expect(tree.list().map((n) => n.uri)).toEqual(['./A', './A/B', './C']);
  });
});

describe('the dashboard routes of dmpush serve', () => {
  let s: RunningServe;
  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${s.controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    const banner: string[] = [];
    s = await startServe({ ...io, stdout: (t) => void banner.push(t) }, TEST_SERVE);
    expect(banner.join('')).toContain(`  dashboard:    ${s.controlUrl}/`);
    // First contact: the server sets Push/PFN and the device gets a channel.
    expect((await post('/api/clock/advance', { duration: 'PT1M' })).status).toBe(200);
  });
  afterAll(() => s.close());

  it('GET / is the dashboard: self-contained HTML with no external URL', async () => {
    const res = await fetch(`${s.controlUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    // The dashboard's script (bundled from src/browser/dashboard/) leaves its scripting hook.
    expect(html).toContain('window.dmpushDashboard');
    expect(html).toContain('/api/live');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=(?!"data:)/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//i);
    expect((await fetch(`${s.controlUrl}/`, { method: 'POST' })).status).toBe(405);
  });

  it('GET / inlines the built dashboard bundle, with the Push/Status texts of the core, not a copy', async () => {
    const html = await (await fetch(`${s.controlUrl}/`)).text();
    const bundle = browserBundle('dashboard');
    expect(html).toContain(bundle.script.slice(0, 2000));
    expect(html).toContain(bundle.style.slice(0, 2000));
    // The texts a stale copy in the page had shortened ('push without session', …): every value
    // now reads as the DMClient CSP module words it.
    for (const text of Object.values(PUSH_STATUS_TEXT))
      expect(html).toContain(JSON.stringify(text));
    // One script of the page's own besides the library: the report's view is bundled in.
    expect(html.match(/<script>/g)).toHaveLength(2);
  });

  it('GET /api/devices/{id}/tree lists the DM tree with Push/PFN and its value', async () => {
    const res = await fetch(`${s.controlUrl}/api/devices/laptop/tree`);
    expect(res.status).toBe(200);
    const nodes = (await res.json()) as TreeNode[];
    expect(nodes.length).toBeGreaterThan(10);
    for (const n of nodes) {
      expect(n.uri).toMatch(/^\.\/\S+$/);
      expect(typeof n.format).toBe('string');
      expect(Array.isArray(n.access)).toBe(true);
      expect(n.value === null).toBe(n.format === 'node');
    }
    const pfn = nodes.find((n) => n.uri.endsWith('/Push/PFN'));
    expect(pfn).toMatchObject({ format: 'chr', value: 'Contoso.MDM_8wekyb3d8bbwe' });
    const channel = nodes.find((n) => n.uri.endsWith('/Push/ChannelURI'));
    expect(channel?.value).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(nodes.find((n) => n.uri === './DevInfo')).toMatchObject({ format: 'node', value: null });
    expect((await fetch(`${s.controlUrl}/api/devices/nobody/tree`)).status).toBe(404);
  });

  it('GET /api/devices/{id}/timeline is the report data of that device', async () => {
    const res = await fetch(`${s.controlUrl}/api/devices/laptop/timeline`);
    expect(res.status).toBe(200);
    const data = (await res.json()) as {
      title: string;
      lanes: unknown[];
      sections: Array<{ model: { devices: Array<{ id: string }>; summary: { events: number } } }>;
    };
    expect(data.title).toBe('laptop');
    expect(data.lanes.length).toBeGreaterThan(5);
    expect(data.sections).toHaveLength(1);
    expect(data.sections[0]?.model.devices.map((d) => d.id)).toEqual(['laptop']);
    expect(data.sections[0]?.model.summary.events).toBeGreaterThan(3);
  });

  it('the /api/live WebSocket says hello, then sends events and the device after a PATCH', async () => {
    const ws = new WebSocket(`${s.controlUrl.replace(/^http/, 'ws')}/api/live`);
    const messages: LiveMessage[] = [];
    ws.on('message', (data) =>
      messages.push(JSON.parse((data as Buffer).toString('utf8')) as LiveMessage),
    );
    try {
      await until(() => messages.length > 0);
      const hello = messages[0] as LiveMessage;
      expect(hello).toMatchObject({ type: 'hello', clock: 'virtual' });
      expect(hello.devices.map((d) => d.id).sort()).toEqual(['laptop', 'tablet']);
      const res = await fetch(`${s.controlUrl}/api/devices/laptop`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ battery: { level: 5, charging: false } }),
      });
      expect(res.status).toBe(200);
      await until(() =>
        messages.some((m) => m.type === 'update' && m.devices.some((d) => d.id === 'laptop')),
      );
      const updates = messages.filter((m) => m.type === 'update');
      const events = updates.flatMap((m) => m.events ?? []);
      expect(events.map((e) => e.type)).toContain('battery-saver.changed');
      expect(events.every((e) => e.device === 'laptop')).toBe(true);
      expect(events.every((e) => typeof e.text === 'string' && e.text.length > 0)).toBe(true);
      const laptop = updates.flatMap((m) => m.devices).findLast((d) => d.id === 'laptop');
      expect(laptop).toMatchObject({ wnsConnected: false, battery: { level: 5, saverOn: true } });
      // Advancing the clock sends what happened, and the new time.
      const before = messages.length;
      expect((await post('/api/clock/advance', { duration: 'PT6H' })).status).toBe(200);
      await until(() => messages.length > before);
      expect(messages.at(-1)?.now).toBe(
        ((await (await fetch(`${s.controlUrl}/api/clock`)).json()) as { now: string }).now,
      );
    } finally {
      ws.close();
    }
  });

  it('PATCH wnsPushService disables the push routing service; a bad value is 400 naming the field', async () => {
    const patch = (body: unknown) =>
      fetch(`${s.controlUrl}/api/devices/tablet`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await patch({ wnsPushService: 'disabled' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: 'tablet', wnsPushService: 'disabled' });
    const bad = await patch({ wnsPushService: 'stopped' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /wnsPushService: expected "running" or "disabled"/,
    );
    expect((await patch({ wnsPushService: 'running' })).status).toBe(200);
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    const ws = new WebSocket(`${s.controlUrl.replace(/^http/, 'ws')}/api/elsewhere`);
    const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(error.message).toMatch(/404/);
  });
});
