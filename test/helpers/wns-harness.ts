import {
  createWnsHttpServer,
  type WnsRequestLogEntry,
} from '../../src/adapters/http/wns-http-server.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import type { WnsApp } from '../../src/core/wns/apps.js';
import { WnsEmulator, type WnsEmulatorOptions } from '../../src/wns/emulator.js';

export const T0 = Date.UTC(2026, 0, 1);

/** The built-in demo app (fixtures/apps/demo.yaml). */
export const APP: WnsApp = {
  pfn: 'Contoso.MDM_8wekyb3d8bbwe',
  sid: 'ms-app://S-1-15-2-2411136829-3422574390-1218575391-4088406412-1652238325-1536734281-1962548315',
  secret: 'dmpush-demo-secret-0001',
  entraAppId: '5b1c2e7a-9a51-4a8e-8d55-3f2c7c1d2e00',
  tenant: 'dmpush-demo-tenant',
};

/** A second app, to check that a token is valid for its own app only. */
export const OTHER: WnsApp = {
  pfn: 'Fabrikam.Agent_cw5n1h2txyewy',
  sid: 'ms-app://S-1-15-2-1111111111-2222222222-3333333333-4444444444-5555555555-6666666666-7777777777',
  secret: 'fabrikam-secret-0002',
};

export interface Harness {
  readonly url: string;
  readonly clock: VirtualClock;
  readonly emulator: WnsEmulator;
  readonly sink: MemorySink;
  /** What the server's onRequest callback received. */
  readonly log: WnsRequestLogEntry[];
  close(): Promise<void>;
  /** A classic token for `app`. */
  token(app?: WnsApp): Promise<string>;
  /** An inbox channel through the admin API. */
  channel(deviceId: string, options?: { pfn?: string; connected?: boolean }): Promise<string>;
  /** A raw push to `channelUri`; headers default to a valid raw push with `token`. */
  push(
    channelUri: string,
    token: string | null,
    options?: { headers?: Record<string, string>; body?: Uint8Array | string; method?: string },
  ): Promise<Response>;
  /** A JSON admin request; resolves with the status and the parsed body (null when empty). */
  admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; text: string; headers: Headers }>;
  /** Resolves once `condition` holds, polling with health requests (real round trips, no sleeps). */
  until(condition: () => boolean, what: string): Promise<void>;
}

/** An emulator on a virtual clock behind a real HTTP server on 127.0.0.1 (any free port). */
export async function startHarness(options: Partial<WnsEmulatorOptions> = {}): Promise<Harness> {
  const clock = new VirtualClock({ start: T0 });
  const sink = new MemorySink();
  const emulator = new WnsEmulator({
    clock,
    seed: 7,
    sink,
    baseUrl: 'http://127.0.0.1/',
    apps: [APP, OTHER],
    ...options,
  });
  const log: WnsRequestLogEntry[] = [];
  const http = createWnsHttpServer(emulator, { onRequest: (e) => log.push(e) });
  const { url } = await http.listen(0);
  emulator.setBaseUrl(`${url}/`);

  const admin: Harness['admin'] = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            body: typeof body === 'string' ? body : JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text === '' ? null : (JSON.parse(text) as unknown),
      text,
      headers: res.headers,
    };
  };

  return {
    url,
    clock,
    emulator,
    sink,
    log,
    close: () => http.close(),
    async token(app = APP) {
      const res = await fetch(`${url}/accesstoken.srf`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: app.sid,
          client_secret: app.secret,
          scope: 'notify.windows.com',
        }),
      });
      const json = (await res.json()) as { access_token: string };
      if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(json)}`);
      return json.access_token;
    },
    async channel(deviceId, o = {}) {
      const r = await admin('POST', '/_sim/channels', {
        pfn: o.pfn ?? APP.pfn,
        deviceId,
        connected: o.connected ?? true,
      });
      if (r.status !== 201) throw new Error(`channel: ${r.status} ${r.text}`);
      return (r.body as { channelUri: string }).channelUri;
    },
    push(channelUri, token, o = {}) {
      const headers: Record<string, string> = {
        'content-type': 'application/octet-stream',
        'x-wns-type': 'wns/raw',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...o.headers,
      };
      for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
      const method = o.method ?? 'POST';
      return fetch(channelUri, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: o.body ?? 'push' }),
      });
    },
    admin,
    async until(condition, what) {
      // Each turn is a round trip to the emulator (its socket I/O lands meanwhile); bounded by
      // real time, not by a count, so a busy machine is not a failure.
      const deadline = performance.now() + 10_000;
      while (!condition()) {
        if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
        await (await fetch(`${url}/_sim/health`)).text();
      }
    },
  };
}
