import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MapTable } from '../../src/core/state/state-store.js';
import { HOUR } from '../../src/core/time/iso.js';
import type { WnsApp } from '../../src/core/wns/apps.js';
import { ExpiryIndex } from '../../src/core/wns/expiry-index.js';
import { TokenService, type IssuedToken } from '../../src/core/wns/tokens.js';

const APP: WnsApp = { pfn: 'Contoso.MDM_8wekyb3d8bbwe', sid: 'ms-app://S-1-15-2-1', secret: 's' };
const T0 = Date.UTC(2026, 0, 1);

/** A token source counting up (distinct, readable values). */
function counter(prefix = 'tok'): () => string {
  let n = 0;
  return () => `${prefix}${n++}=`;
}

/** A token service on a table that records which rows it was told changed. */
function service(lifetimeMs = 24 * HOUR, key = 'test-key') {
  const changed: (string | null)[] = [];
  const table = new MapTable<{ pfn: string; expiresAt: number }>('wns-token', (id) =>
    changed.push(id),
  );
  const tokens = new TokenService(counter(), lifetimeMs, table, key);
  return { tokens, table, changed };
}

const bearer = (token: string): string => `Bearer ${token}`;

describe('the signature of a token', () => {
  it('is the HMAC-SHA-256 of its value and expiry under the key, as node:crypto makes it', () => {
    const { tokens } = service(HOUR, 'the-signing-key');
    for (let i = 0; i < 20; i++) {
      const { token } = tokens.issue(APP, T0 + i * 997);
      const last = token.lastIndexOf('.');
      const expected = createHmac('sha256', 'the-signing-key')
        .update(token.slice(0, last))
        .digest('hex');
      expect(token.slice(last + 1)).toBe(expected);
    }
  });
});

describe('ExpiryIndex', () => {
  it('pops in expiry order whatever the order of adding (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 200 }), (ats) => {
        const index = new ExpiryIndex();
        ats.forEach((at, i) => index.add(at, `id${i}`));
        const popped: number[] = [];
        while (index.size > 0) {
          popped.push(index.peek() as number);
          const id = index.pop() as string;
          expect(ats[Number(id.slice(2))]).toBe(popped.at(-1));
        }
        expect(popped).toEqual([...ats].sort((a, b) => a - b));
        expect(index.pop()).toBeUndefined();
      }),
    );
  });
});

describe('TokenService: eviction at expiry', () => {
  it('evicts expired tokens at the next issue and deletes their rows', () => {
    const { tokens, table, changed } = service(HOUR);
    const old = [0, 1, 2].map((i) => tokens.issue(APP, T0 + i * 1000).token);
    expect(tokens.size).toBe(3);
    changed.length = 0;
    // The first two have expired (T0 + 1 h, T0 + 1 h + 1 s); the third expires at this instant.
    const fresh = tokens.issue(APP, T0 + HOUR + 2000).token;
    expect(tokens.size).toBe(1);
    for (const t of old) expect(table.has(t)).toBe(false);
    expect(changed).toEqual([...old, fresh]);
    expect(tokens.save().map((t) => t.token)).toEqual([fresh]);
  });

  it('evicts at a check too: a kept token past its expiry is never valid', () => {
    const { tokens, table } = service(HOUR);
    const { token } = tokens.issue(APP, T0);
    expect(tokens.check(bearer(token), T0 + HOUR - 1)).toEqual({ ok: true, pfn: APP.pfn });
    expect(tokens.check(bearer(token), T0 + HOUR)).toEqual({ ok: false, reason: 'expired' });
    expect(table.has(token)).toBe(false);
  });

  it('401 reasons once evicted: expired for its own tokens, invalid for anything else', () => {
    const { tokens } = service(HOUR);
    const { token } = tokens.issue(APP, T0);
    tokens.issue(APP, T0 + 2 * HOUR); // evicts the first
    expect(tokens.size).toBe(1);
    const check = (t: string) => tokens.check(bearer(t), T0 + 2 * HOUR);
    expect(check(token)).toEqual({ ok: false, reason: 'expired' });
    expect(check('EgAnot-a-real-token=')).toEqual({ ok: false, reason: 'invalid' });
    // The stamp is signed: moving it, or the value, breaks the signature.
    const [value, expiry, signature] = token.split('.') as [string, string, string];
    const later = (parseInt(expiry, 36) + 10 * HOUR).toString(36);
    expect(check(`${value}.${later}.${signature}`)).toEqual({ ok: false, reason: 'invalid' });
    expect(check(`${value}x.${expiry}.${signature}`)).toEqual({ ok: false, reason: 'invalid' });
    expect(check(`${value}.${expiry}`)).toEqual({ ok: false, reason: 'invalid' });
    // Another service's token (another key) is not this one's.
    const other = service(HOUR, 'another-key').tokens.issue(APP, T0).token;
    expect(check(other)).toEqual({ ok: false, reason: 'invalid' });
    expect(tokens.check(undefined, T0)).toEqual({ ok: false, reason: 'missing' });
    expect(tokens.check('Basic abc', T0)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a token forgotten by clear (reset) is invalid until its stamp passes', () => {
    const { tokens } = service(HOUR);
    const { token } = tokens.issue(APP, T0);
    tokens.clear();
    expect(tokens.check(bearer(token), T0 + 1)).toEqual({ ok: false, reason: 'invalid' });
    expect(tokens.check(bearer(token), T0 + HOUR)).toEqual({ ok: false, reason: 'expired' });
  });

  it('tokens are RFC 6750 b64tokens: value.expiry.signature', () => {
    const { tokens } = service();
    const { token, expiresIn } = tokens.issue(APP, T0);
    expect(expiresIn).toBe(86_400);
    expect(token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
    expect(token.split('.')[1]).toBe((T0 + 24 * HOUR).toString(36));
  });

  it('keeps exactly the tokens not yet expired, whatever the order of their expiries (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 10 }),
        (expiries, nows) => {
          const { tokens } = service(HOUR);
          const saved: IssuedToken[] = expiries.map((e, i) => ({
            token: `t${i}`,
            pfn: APP.pfn,
            expiresAt: T0 + e,
          }));
          tokens.load(saved);
          let now = T0;
          for (const step of nows) {
            now += step;
            tokens.check(bearer('probe'), now);
            const kept = tokens.save().map((t) => t.token);
            const expected = saved.filter((t) => t.expiresAt > now).map((t) => t.token);
            expect(kept.sort()).toEqual(expected.sort());
          }
        },
      ),
    );
  });
});

describe('TokenService: durable state', () => {
  it('a reload rebuilds the index and keeps the key: valid, expired and evicted as before', () => {
    const { tokens } = service(HOUR, 'saved-key');
    const first = tokens.issue(APP, T0).token;
    const second = tokens.issue(APP, T0 + HOUR / 2).token;
    tokens.issue(APP, T0 + HOUR); // evicts `first`
    const saved = tokens.save();
    const state = tokens.saveState();
    expect(state).toEqual({ key: 'saved-key' });

    // A restart: a new service with a key of its own, then the saved state.
    const back = service(HOUR, 'fresh-key');
    back.tokens.load(saved, state);
    expect(back.tokens.size).toBe(2);
    expect(back.tokens.check(bearer(second), T0 + HOUR)).toEqual({ ok: true, pfn: APP.pfn });
    expect(back.tokens.check(bearer(first), T0 + HOUR)).toEqual({ ok: false, reason: 'expired' });
    // The rebuilt index evicts `second` at its expiry, and its row goes.
    back.changed.length = 0;
    expect(back.tokens.check(bearer(second), T0 + 1.5 * HOUR)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(back.table.has(second)).toBe(false);
    expect(back.changed).toEqual([second]);
  });

  it('without a saved key (an older file) it keeps its own; old tokens still work until expiry', () => {
    const back = service(HOUR, 'own-key');
    back.tokens.load([{ token: 'legacy-opaque-token', pfn: APP.pfn, expiresAt: T0 + HOUR }]);
    expect(back.tokens.saveState()).toEqual({ key: 'own-key' });
    expect(back.tokens.check(bearer('legacy-opaque-token'), T0)).toEqual({
      ok: true,
      pfn: APP.pfn,
    });
    // Unsigned: once evicted it can only be invalid.
    expect(back.tokens.check(bearer('legacy-opaque-token'), T0 + HOUR)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });
});
