import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { MapTable, type RecordTable } from '../state/state-store.js';
import { HOUR } from '../time/iso.js';
import type { WnsApp } from './apps.js';
import { ExpiryIndex } from './expiry-index.js';

/** Where token values come from: a seeded stream in virtual runs, `crypto` in live servers. */
export type TokenSource = () => string;

export const DEFAULT_TOKEN_LIFETIME = 24 * HOUR;

interface Issued {
  readonly pfn: string;
  readonly expiresAt: number;
}

/** An issued token, as durable state keeps it. */
export interface IssuedToken extends Issued {
  readonly token: string;
}

/** What the token service keeps besides its tokens (in the emulator's document). */
export interface TokenServiceState {
  /** The signing key of the tokens' expiry stamp (a secret: state files are private). */
  readonly key: string;
}

/** The outcome of checking a bearer token. */
export type TokenCheck =
  | { readonly ok: true; readonly pfn: string }
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' | 'expired' };

/** Compares in time independent of where the strings differ (equal lengths). */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Access tokens: each valid for one app only, for `lifetimeMs` (24 h by default, as WNS: "your
 * cached access token expires after 24 hours").
 *
 * A token is `<value>.<expiry>.<signature>`: an opaque value from a {@link TokenSource}, its
 * expiry (epoch ms, base 36) and an HMAC-SHA-256 of both under the service's key (hex, made with
 * `@noble/hashes`, which the pure core can load anywhere), a valid RFC 6750 `b64token`. Tokens are kept by value until they expire and are evicted then:
 * an index ordered by expiry is swept from its soonest end at each issue and check, so a sweep
 * costs only the tokens it evicts. A token no longer kept still answers `expired`, not `invalid`,
 * when its signature shows that this service issued it and its stamp has passed: the stamp is
 * trusted only for that distinction, validity always needs the kept token. See
 * docs/decisions/0012-token-expiry-index.md.
 */
export class TokenService {
  private readonly index = new ExpiryIndex();
  private keyBytes: Uint8Array;
  private key: string;

  constructor(
    private readonly source: TokenSource,
    readonly lifetimeMs: number = DEFAULT_TOKEN_LIFETIME,
    /** Where issued tokens are kept, by value (a state store's `wns-token` table). */
    private readonly issued: RecordTable<Issued> = new MapTable('wns-token'),
    /** The signing key (default: a value drawn from `source`). */
    key: string = source(),
  ) {
    this.key = key;
    this.keyBytes = utf8ToBytes(key);
    for (const [token, t] of issued.entries()) this.index.add(t.expiresAt, token);
  }

  /** Issues a token for `app` at `now`. */
  issue(app: WnsApp, now: number): { token: string; expiresIn: number } {
    this.evict(now);
    const expiresAt = now + this.lifetimeMs;
    const body = `${this.source().replace(/=+$/, '')}.${Math.ceil(expiresAt).toString(36)}`;
    const token = `${body}.${this.signature(body)}`;
    this.issued.set(token, { pfn: app.pfn, expiresAt });
    this.index.add(expiresAt, token);
    return { token, expiresIn: Math.round(this.lifetimeMs / 1000) };
  }

  /** Checks an `Authorization` header value (`Bearer <token>`, any case of "Bearer"). */
  check(authorization: string | undefined, now: number): TokenCheck {
    if (!authorization) return { ok: false, reason: 'missing' };
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return { ok: false, reason: 'invalid' };
    this.evict(now);
    const token = match[1] as string;
    const found = this.issued.get(token);
    if (found && found.expiresAt > now) return { ok: true, pfn: found.pfn };
    const stamp = this.stampOf(token);
    return { ok: false, reason: stamp !== null && stamp <= now ? 'expired' : 'invalid' };
  }

  /** The expiry a token of this service carries, or null when it is not one (bad signature). */
  private stampOf(token: string): number | null {
    // From the right: a token value of a custom source may hold dots.
    const last = token.lastIndexOf('.');
    const expiry = token.slice(token.lastIndexOf('.', last - 1) + 1, last);
    if (last < 0 || !/^-?[0-9a-z]{1,11}$/.test(expiry)) return null;
    if (!sameText(token.slice(last + 1), this.signature(token.slice(0, last)))) return null;
    return parseInt(expiry, 36);
  }

  private signature(body: string): string {
    return bytesToHex(hmac(sha256, this.keyBytes, utf8ToBytes(body)));
  }

  /** Deletes the tokens whose expiry has come (the soonest first; stops at the first alive). */
  private evict(now: number): void {
    const { index, issued } = this;
    for (let soonest = index.peek(); soonest !== undefined && soonest <= now;) {
      const token = index.pop() as string;
      // A token issued again with a later expiry (a value drawn twice) stays.
      const t = issued.get(token);
      if (t && t.expiresAt <= now) issued.delete(token);
      soonest = index.peek();
    }
  }

  /**
   * Forgets every token issued for `pfn` (a fault: the sender's cached token stops working before
   * it expires, as when WNS answers 401 to a token it no longer honours). Returns how many.
   */
  revoke(pfn: string): number {
    const revoked = [...this.issued.entries()].filter(([, t]) => t.pfn === pfn);
    for (const [token] of revoked) this.issued.delete(token);
    return revoked.length;
  }

  clear(): void {
    this.issued.clear();
    this.index.clear();
  }

  /** Tokens kept (issued and not yet evicted). */
  get size(): number {
    return this.issued.size;
  }

  /** Every token still kept, for durable state. */
  save(): IssuedToken[] {
    return [...this.issued.entries()].map(([token, t]) => ({
      token,
      pfn: t.pfn,
      expiresAt: t.expiresAt,
    }));
  }

  /** The signing key, for durable state. */
  saveState(): TokenServiceState {
    return { key: this.key };
  }

  /**
   * Takes back what {@link save} and {@link saveState} returned (tokens issued before a restart
   * stay valid, and expired ones still answer `expired`), and rebuilds the expiry index. Without
   * a saved key (a file written before tokens were signed) the current key is kept.
   */
  load(tokens: readonly IssuedToken[], state?: TokenServiceState): void {
    if (state) {
      this.key = state.key;
      this.keyBytes = utf8ToBytes(state.key);
    }
    this.clear();
    for (const t of tokens) {
      this.issued.set(t.token, { pfn: t.pfn, expiresAt: t.expiresAt });
      this.index.add(t.expiresAt, t.token);
    }
  }
}
