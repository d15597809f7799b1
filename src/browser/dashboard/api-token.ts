/**
 * The API token of a fleet started with `--api-token`: the page is opened as `/#token=<token>`
 * (a fragment is never sent to the server, so the token stays out of request logs); the page
 * keeps it for this tab in `sessionStorage` and takes it out of the address bar.
 */
const KEY = 'dmpush.apiToken';

let token: string | null | undefined;

/** The token this tab was given, or null. */
export function apiToken(): string | null {
  if (token !== undefined) return token;
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  token = fromHash || sessionStorage.getItem(KEY);
  return token;
}

/** The request headers that carry the token (none without one). */
export function authHeaders(): Record<string, string> {
  const t = apiToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}
