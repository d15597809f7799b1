/**
 * Requests to the control API the page was served by: JSON in and out; an error answer becomes
 * an `Error` with the API's message (it names the field that was wrong).
 */
import { authHeaders } from './api-token.js';
import type { ErrorJson } from './wire.js';

/** Sends a request and reads its JSON answer (typed by the caller, from `wire.ts`). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: authHeaders() };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...authHeaders(), 'content-type': 'application/json' };
  }
  const res = await fetch(path, init);
  const json = (await res.json()) as unknown;
  if (!res.ok) throw new Error((json as ErrorJson | null)?.error || `HTTP ${res.status}`);
  return json as T;
}

/** The path of a device's resource: `/api/devices/{id}` and what follows. */
export function devicePath(id: string, rest = ''): string {
  return `/api/devices/${encodeURIComponent(id)}${rest}`;
}
