/**
 * How long WNS keeps a cached notification: its TTL (`X-WNS-TTL`), bounded by the cache's
 * maximum age. [PRRH] `X-WNS-Cache-Policy`: "Items are not held in the cache indefinitely and will
 * be dropped after a reasonable period of time"; the period is unpublished, so the default is an
 * assumption (docs/model.md §12) and a setting (`cacheMaxAgeMs`, `--cache-max-age`,
 * scenario `wns.cacheMaxAge`).
 *
 * @module
 */
import { DAY, LAST_INSTANT, SECOND } from '../time/iso.js';

/** Default maximum age of a cached notification: 3 days (**assumption**). */
export const DEFAULT_CACHE_MAX_AGE_MS = 3 * DAY;

/** When a cached notification leaves the cache, and the reason it will be dropped then. */
export interface CacheExpiry {
  readonly at: number;
  /** `ttl-expired` when the sender's TTL ends first (or with the bound), else `cache-expired`. */
  readonly reason: 'ttl-expired' | 'cache-expired';
}

/**
 * The end of a notification cached at `now`: `now + ttlSeconds` when a TTL is set and ends no
 * later than `now + maxAgeMs`, otherwise `now + maxAgeMs`; never past the end of time.
 */
export function cacheExpiry(now: number, ttlSeconds: number | null, maxAgeMs: number): CacheExpiry {
  const bound = Math.min(now + maxAgeMs, LAST_INSTANT);
  if (ttlSeconds !== null) {
    const ttlEnds = Math.min(now + ttlSeconds * SECOND, LAST_INSTANT);
    if (ttlEnds <= bound) return { at: ttlEnds, reason: 'ttl-expired' };
  }
  return { at: bound, reason: 'cache-expired' };
}

/** Checks a maximum age setting: a positive, finite number of milliseconds. */
export function checkCacheMaxAge(ms: number, field: string): string | null {
  return Number.isFinite(ms) && ms > 0
    ? null
    : `${field}: expected a positive duration, got ${String(ms)}`;
}
