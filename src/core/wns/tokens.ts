import { MapTable, type RecordTable } from '../state/state-store.js';
import { HOUR } from '../time/iso.js';
import type { WnsApp } from './apps.js';

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

/** The outcome of checking a bearer token. */
export type TokenCheck =
  | { readonly ok: true; readonly pfn: string }
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' | 'expired' };

/**
 * Access tokens: each valid for one app only, for `lifetimeMs` (24 h by default, as WNS: "your
 * cached access token expires after 24 hours"). Values are opaque and come from a {@link TokenSource}.
 */
export class TokenService {
  constructor(
    private readonly source: TokenSource,
    readonly lifetimeMs: number = DEFAULT_TOKEN_LIFETIME,
    /** Where issued tokens are kept, by value (a state store's `wns-token` table). */
    private readonly issued: RecordTable<Issued> = new MapTable('wns-token'),
  ) {}

  /** Issues a token for `app` at `now`. */
  issue(app: WnsApp, now: number): { token: string; expiresIn: number } {
    this.sweep(now);
    const token = this.source();
    this.issued.set(token, { pfn: app.pfn, expiresAt: now + this.lifetimeMs });
    return { token, expiresIn: Math.round(this.lifetimeMs / 1000) };
  }

  /** Checks an `Authorization` header value (`Bearer <token>`, any case of "Bearer"). */
  check(authorization: string | undefined, now: number): TokenCheck {
    if (!authorization) return { ok: false, reason: 'missing' };
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return { ok: false, reason: 'invalid' };
    const found = this.issued.get(match[1] as string);
    if (!found) return { ok: false, reason: 'invalid' };
    if (found.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, pfn: found.pfn };
  }

  /** Forgets tokens that expired more than a lifetime ago (they answer `invalid` after that). */
  private sweep(now: number): void {
    if (this.issued.size < 1024) return;
    for (const [token, t] of [...this.issued.entries()])
      if (t.expiresAt + this.lifetimeMs < now) this.issued.delete(token);
  }

  clear(): void {
    this.issued.clear();
  }

  /** Tokens still known. */
  get size(): number {
    return this.issued.size;
  }

  /** Every token still known, for durable state. */
  save(): IssuedToken[] {
    return [...this.issued.entries()].map(([token, t]) => ({
      token,
      pfn: t.pfn,
      expiresAt: t.expiresAt,
    }));
  }

  /** Takes back what {@link save} returned (tokens issued before a restart stay valid). */
  load(tokens: readonly IssuedToken[]): void {
    this.issued.clear();
    for (const t of tokens) this.issued.set(t.token, { pfn: t.pfn, expiresAt: t.expiresAt });
  }
}
