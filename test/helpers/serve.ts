import { expect } from 'vitest';
import type { RunningServe, ServeOptions } from '../../src/cli/commands/serve.js';

/**
 * `dmpush serve` for tests: the e2e fleet, a virtual clock, any free ports, no output, no state,
 * and devices managed without enrollment (`--no-enrollment`: these tests are about push and
 * sessions; test/integration/serve-enrollment.test.ts covers the enrolling fleet).
 */
export const TEST_SERVE: ServeOptions = {
  enrollment: false,
  scenario: 'fixtures/serve/e2e.yaml',
  clock: 'virtual',
  host: '127.0.0.1',
  port: 0,
  wnsPort: 0,
  mdmPort: 0,
  logLevel: 'silent',
  timeline: false,
  memory: true,
};

/** A device as `GET /api/devices` shows it (the fields these tests read). */
export interface DeviceJson {
  readonly id: string;
  readonly pfn: string | null;
  readonly channelUri: string | null;
  readonly channelExpiresAt: string | null;
  readonly nextRenewalAt: string | null;
  readonly pushStatus: number;
  readonly wnsConnected: boolean;
  readonly battery: {
    readonly saverOn: boolean;
    readonly level: number;
    readonly charging: boolean;
  };
  readonly network: Record<string, unknown>;
}

/** A timeline event as `GET /api/events` shows it. */
export interface EventJson {
  readonly type: string;
  readonly time: string;
  readonly trigger?: string;
  readonly reason?: string;
  readonly cached?: boolean;
}

export interface Reply<T> {
  readonly status: number;
  readonly body: T;
}

export interface Api {
  readonly s: RunningServe;
  json<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply<T>>;
  device(id: string): Promise<DeviceJson>;
  advance(duration: string): Promise<void>;
  events(query?: string): Promise<EventJson[]>;
}

/**
 * `fetch` on a connection of its own (`Connection: close`): a serve restarted on the same port
 * must not get a kept-alive socket of the one before, which the client may not yet know is gone.
 */
export function fresh(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...(init.headers as object), connection: 'close' } });
}

/**
 * Every event of `GET /api/events` with `query` (e.g. `?device=pc-1`), page after page, oldest
 * first, from the control API at `base`.
 */
export async function allEvents<T = EventJson>(base: string, query = ''): Promise<T[]> {
  const out: T[] = [];
  const sep = query === '' ? '?' : '&';
  let after = '0';
  for (;;) {
    const res = await fresh(`${base}/api/events${query}${sep}limit=10000&after=${after}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { events: T[]; next: string; more: boolean };
    out.push(...page.events);
    if (!page.more) return out;
    after = page.next;
  }
}

/** fetch helpers for a running serve's control API. */
export function api(s: RunningServe): Api {
  const json = async <T>(method: string, path: string, body?: unknown): Promise<Reply<T>> => {
    const res = await fresh(`${s.controlUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    s,
    json,
    device: async (id) => (await json<DeviceJson>('GET', `/api/devices/${id}`)).body,
    advance: async (duration) => {
      const res = await json('POST', '/api/clock/advance', { duration });
      expect(res.status).toBe(200);
    },
    events: (query = '') => allEvents(s.controlUrl, query),
  };
}
