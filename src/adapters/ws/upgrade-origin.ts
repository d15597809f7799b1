/**
 * Which browser pages may open a device connection. Browsers do not apply CORS to WebSockets, but
 * they send the page's `Origin` with every upgrade: a page of another site could otherwise open
 * `ws://127.0.0.1:<port>/_device` from the user's browser. Clients that are not browsers (the `ws`
 * library, devices) send no Origin and are not affected.
 *
 * A pure function, so it can give way to a shared Origin/Host check of the HTTP servers later.
 *
 * @module
 */

/** True for a host name that always means this machine (`localhost`, `*.localhost`, 127/8, ::1). */
function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (name === '[::1]' || name === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Why an upgrade with this `Origin` is refused, or null when it is accepted: no Origin (not a
 * browser), an Origin whose `host[:port]` is the request's `Host` (a page this server serves), or
 * an Origin on a loopback name (a page served from this machine).
 *
 * @example
 * ```ts
 * foreignOrigin(undefined, '127.0.0.1:8080'); // null
 * foreignOrigin('http://127.0.0.1:8080', '127.0.0.1:8080'); // null
 * foreignOrigin('https://evil.example', '127.0.0.1:8080'); // 'Origin "https://evil.example" is not …'
 * ```
 */
export function foreignOrigin(origin: string | undefined, host: string | undefined): string | null {
  if (origin === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(origin);
  } catch {
    // refused below
  }
  if (url && url.origin !== 'null') {
    if (host !== undefined && url.host.toLowerCase() === host.trim().toLowerCase()) return null;
    if (isLoopbackName(url.hostname)) return null;
  }
  return (
    `Origin ${JSON.stringify(origin)} is not this server's (Host ${JSON.stringify(host ?? '')}) ` +
    'nor a loopback name: pages of other sites may not open device connections'
  );
}
