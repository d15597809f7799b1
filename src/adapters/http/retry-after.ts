/**
 * Milliseconds to wait from a `Retry-After`-style header value (RFC 9110 §10.2.3: delta-seconds
 * or an HTTP date), counted from `now` (epoch ms); a date in the past is 0. Null when the header
 * is absent or unusable. `X-WNS-Continue-After` has the same form.
 *
 * @example
 * ```ts
 * retryAfterMs('120', now); // 120_000
 * retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', now); // that instant minus now, at least 0
 * retryAfterMs('soon', now); // null
 * ```
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | null {
  if (header === undefined || header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
