import { SECOND } from '../time/iso.js';

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** WNS publishes no limits; these defaults only stop floods (see docs/model.md). */
export const DEFAULT_THROTTLE = {
  channel: { perSecond: 1, burst: 30 } as RateLimit,
  app: { perSecond: 500, burst: 2000 } as RateLimit,
};

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by name (a channel, an app), on the caller's clock. */
export class Throttle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: RateLimit) {}

  /**
   * Takes one request for `key` at `now`. Returns 0 when allowed, else the seconds to wait
   * (for `Retry-After`).
   */
  take(key: string, now: number): number {
    const { perSecond, burst } = this.limit;
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / SECOND) * perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
  }

  clear(): void {
    this.buckets.clear();
  }
}
