/**
 * Digest authentication of management sessions for enrolled devices (`syncml:auth-md5`, OMA DM
 * Security 1.2 §5.3), as Fleet's server runs it (fleetdm/fleet `server/service/microsoft_mdm.go`:
 * `isTrustedRequest`, `processIncomingMDMCmds`):
 *
 * - every message must carry a `Cred` (Type `syncml:auth-md5`, Format `b64`) for the device its
 *   SyncHdr Source names, over the nonce the server issued last;
 * - no `Cred`, no nonce held (the first message after enrollment: the provisioning document's
 *   AAUTHDATA is never accepted), or a nonce older than its lifetime (Fleet keeps nonces 5
 *   minutes): SyncHdr Status **407** with a `Chal` carrying a fresh NextNonce;
 * - a `Cred` of another scheme or a wrong digest: Status **401** with a `Chal` and a fresh nonce
 *   (Fleet: a wrong digest is 401; another scheme is an error there — here a 401, an assumption);
 * - a device that is not enrolled, or unenrolled: Status **403**, no challenge (Fleet answers a
 *   SOAP fault; a SyncML 403 is this server's choice, so a SyncML client can read it);
 * - a valid digest: Status 200, and the session proceeds. Fleet sends no NextNonce then (the
 *   device reuses the nonce until it expires); `rotation: 'every-message'` sends a fresh one in
 *   a `Chal` on every 200 instead.
 *
 * Nonces are the UTF-8 bytes of a UUID, sent base64 (as Fleet's).
 */
import { ValidationError } from '../core/errors.js';
import { AUTH_MD5 } from '../core/syncml/auth.js';
import type { Chal, SyncHdr } from '../core/syncml/message.js';
import { base64ToBytes, utf8ToBase64 } from './enrollment/base64.js';
import { digestFromHash } from './enrollment/digest.js';
import type { EnrollmentRecord, EnrollmentRegistry } from './enrollment/registry.js';
import type { ChallengeReason, RefusalReason } from './mdm-events.js';

/** How long an issued nonce is accepted: 5 minutes, Fleet's key-value store expiry. */
export const NONCE_LIFETIME_MS = 5 * 60_000;

/** When the server issues a new nonce: on challenges only (Fleet), or on every message. */
export type NonceRotation = 'on-challenge' | 'every-message';

/** Options of {@link SessionAuth}. */
export interface SessionAuthOptions {
  readonly registry: EnrollmentRegistry;
  /** The clock, epoch ms. */
  readonly now: () => number;
  /** A fresh random UUID (the adapter's `crypto.randomUUID`): the text of a new nonce. */
  readonly uuid: () => string;
  /** Default {@link NONCE_LIFETIME_MS}. */
  readonly nonceLifetimeMs?: number;
  /** Default `on-challenge`. */
  readonly rotation?: NonceRotation;
}

/** What the server answers a management message's SyncHdr with. */
export type AuthDecision =
  /** Accepted: Status 200, with `chal` (a fresh NextNonce) when nonces rotate every message. */
  | { readonly ok: true; readonly chal?: Chal }
  /** Challenged: Status 401 or 407 with `chal`; nothing else of the message is processed. */
  | {
      readonly ok: false;
      readonly status: '401' | '407';
      readonly chal: Chal;
      readonly reason: ChallengeReason;
    }
  /** Refused: Status 403, no challenge. */
  | { readonly ok: false; readonly status: '403'; readonly reason: RefusalReason };

/** Checks the `Cred` of management messages against the enrolled devices' credentials. */
export class SessionAuth {
  private readonly lifetime: number;

  constructor(private readonly options: SessionAuthOptions) {
    this.lifetime = options.nonceLifetimeMs ?? NONCE_LIFETIME_MS;
    const issues: string[] = [];
    if (!(Number.isFinite(this.lifetime) && this.lifetime > 0))
      issues.push(`nonceLifetimeMs: expected a duration > 0, got ${this.lifetime}`);
    const { rotation } = options;
    if (rotation !== undefined && rotation !== 'on-challenge' && rotation !== 'every-message')
      issues.push(`rotation: expected on-challenge or every-message, got ${String(rotation)}`);
    if (issues.length > 0) throw new ValidationError(issues);
  }

  /** The answer to the SyncHdr of a message from `header.source`. */
  check(header: SyncHdr): AuthDecision {
    const record = this.options.registry.get(header.source);
    if (!record) return { ok: false, status: '403', reason: 'not-enrolled' };
    if (record.unenrolledAt !== null) return { ok: false, status: '403', reason: 'unenrolled' };
    const problem = this.problem(header, record);
    if (problem) return { ok: false, ...problem, chal: this.issue(record.deviceId) };
    if (this.options.rotation === 'every-message')
      return { ok: true, chal: this.issue(record.deviceId) };
    return { ok: true };
  }

  /** Marks `deviceId` unenrolled (Alert 1226); false when it was not enrolled. */
  unenroll(deviceId: string): boolean {
    return this.options.registry.unenroll(deviceId, this.options.now());
  }

  /** Why the message's credential is not accepted, or null when it is. */
  private problem(
    header: SyncHdr,
    record: EnrollmentRecord,
  ): { status: '401' | '407'; reason: ChallengeReason } | null {
    const { cred } = header;
    if (!cred) return { status: '407', reason: 'no-credential' };
    const nonce = record.nonce === null ? null : base64ToBytes(record.nonce);
    if (nonce === null || record.nonceIssuedAt === null)
      return { status: '407', reason: 'no-nonce' };
    if (this.options.now() - record.nonceIssuedAt >= this.lifetime)
      return { status: '407', reason: 'nonce-expired' };
    if (cred.meta?.type !== AUTH_MD5 || cred.meta.format !== 'b64')
      return { status: '401', reason: 'wrong-scheme' };
    const expected = digestFromHash(record.credentialHash, nonce);
    if (cred.data.replace(/\s+/g, '') !== expected)
      return { status: '401', reason: 'wrong-digest' };
    return null;
  }

  /** Issues and keeps a fresh nonce for `deviceId`; returns the `Chal` that carries it. */
  private issue(deviceId: string): Chal {
    const nextNonce = utf8ToBase64(this.options.uuid());
    this.options.registry.setNonce(deviceId, nextNonce, this.options.now());
    return { meta: { type: AUTH_MD5, format: 'b64', nextNonce } };
  }
}
