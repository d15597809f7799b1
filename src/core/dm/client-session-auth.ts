/**
 * The device side of SyncML application-layer authentication within one management session: which
 * `<Cred>` each device message carries, and what the server's Status for the device's SyncHdr
 * means (accepted, challenged, refused). Used by {@link ClientSession}; docs/model.md, "The client
 * session", lists the behaviour with its sources.
 *
 * - **Cred on every message.** With a client credential, every device message carries `Cred`:
 *   `syncml:auth-basic`, or `syncml:auth-md5` computed with the latest nonce ("If a request includes
 *   credentials and the response code to the request is 200, the same credential must be sent
 *   within the next request": Learn, "OMA DM protocol support"; Fleet's server challenges any
 *   message without Cred, `server/service/microsoft_mdm.go` `isTrustedRequest`). An MD5 account
 *   without any nonce yet sends no Cred: there is nothing to compute the digest with, and the
 *   server's challenge brings one (Fleet's test client sends its first message without Cred,
 *   `pkg/mdm/mdmtest/windows.go`).
 * - **212** (authentication accepted): no Cred for the rest of the session (OMA DM Protocol 1.2
 *   §2.4.1, "no further authentication is needed for the remainder of the DM session"). Fleet
 *   never answers 212 (it always answers 200 and expects Cred on every message), so this changes
 *   nothing against Fleet.
 * - **Nonces.** A NextNonce in the Chal of the server's Status for the device's SyncHdr, whatever
 *   its code (200, 212, 401, 407), becomes the nonce of the next message and is kept in the account
 *   (`saveNonce`) for the next session. A Chal in the Status of another command is not read.
 * - **Challenges.** 401 or 407: the device sends the last message's content again with a fresh
 *   Cred ({@link AuthVerdict} `resend`). It fails with `auth-rejected: …` when the account has no
 *   credential, when the Chal asks for another scheme than the account's (the device never
 *   downgrades a digest to basic), when an MD5 challenge leaves it without a nonce, or on a 401
 *   after a Cred that could not be stale (basic, or MD5 with a nonce the server gave in this
 *   session: the credential itself is wrong). More than {@link MAX_CHALLENGES} challenges in one
 *   session fail with `auth-challenge-loop: …` (**assumption**: no source bounds them).
 * - 403 on the SyncHdr fails with `auth-rejected: …`.
 * - Without an account, 401, 403 and 407 fail as `unauthorized (<code>)`, as before accounts.
 */
import {
  AUTH_BASIC,
  AUTH_MD5,
  basicCredential,
  md5Credential,
  readChallenge,
} from '../syncml/auth.js';
import type { Challenge } from '../syncml/auth.js';
import { SyncMLError } from '../syncml/errors.js';
import type { Cred, StatusCommand } from '../syncml/message.js';
import type { AccountCredential, AuthScheme, DmAccount } from './dm-account.js';
import { DmStatus } from './dm-tree.js';

/** Challenges (401/407) one session answers; one more fails it with `auth-challenge-loop`. */
export const MAX_CHALLENGES = 3;

/** What the server's Status for the device's SyncHdr asks of the session. */
export type AuthVerdict =
  /** 200 or 212: go on with the server's commands. */
  | { readonly kind: 'accepted' }
  /** 401/407 that the device answers: send the last message's content again with a fresh Cred. */
  | { readonly kind: 'resend' }
  | { readonly kind: 'failed'; readonly reason: string }
  /** A code outside authentication (e.g. 500): the session decides. */
  | { readonly kind: 'other'; readonly code: string };

const SCHEME_TYPE: Readonly<Record<AuthScheme, string>> = { md5: AUTH_MD5, basic: AUTH_BASIC };

/** Base64 of bytes with the platform's `btoa` (the core stays pure). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The bytes of a stored nonce (base64), or null when there is none or it is not base64. */
function nonceBytes(base64: string): Uint8Array | null {
  if (base64 === '') return null;
  try {
    return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  } catch {
    // An unreadable stored nonce is as good as none: the server's challenge replaces it.
    return null;
  }
}

/**
 * Authentication state of one session. {@link credential} gives the Cred of each device message
 * (call it once per message, in order); {@link onHeaderStatus} reads the server's Status for the
 * device's SyncHdr.
 */
export class SessionAuth {
  private readonly account: DmAccount | null;
  /** The nonce the next MD5 digest uses; starts as the account's (`AAuthData`). */
  private nonce: Uint8Array | null;
  /** The nonce came from the server in this session (so a digest on it cannot be stale). */
  private nonceFresh = false;
  /** 212 received: no Cred for the rest of the session. */
  private accepted = false;
  private challenges = 0;
  /** What the last device message carried. */
  private lastCred: { readonly sent: boolean; readonly fresh: boolean } = {
    sent: false,
    fresh: false,
  };

  constructor(account: DmAccount | null) {
    this.account = account;
    this.nonce = nonceBytes(account?.client?.nonce ?? '');
  }

  /** The Cred of the next device message, or undefined when it carries none. */
  credential(): Cred | undefined {
    const cred = this.build();
    this.lastCred = { sent: cred !== undefined, fresh: cred !== undefined && this.nonceFresh };
    return cred;
  }

  /** Reads the server's Status for the device's last SyncHdr. Never throws. */
  onHeaderStatus(status: StatusCommand): AuthVerdict {
    const code = Number(status.data);
    if (this.account === null) return withoutAccount(code, status.data);
    let challenge: Challenge | undefined;
    try {
      challenge = readChallenge(status);
    } catch (error) {
      if (!(error instanceof SyncMLError)) throw error;
      return failed(`auth-rejected: malformed challenge (${error.message})`);
    }
    const client = this.account.client;
    if (client !== null && challenge?.nonce !== undefined) this.keepNonce(challenge.nonce);
    if (code === DmStatus.Ok) return { kind: 'accepted' };
    if (code === DmStatus.AuthenticationAccepted) {
      this.accepted = true;
      return { kind: 'accepted' };
    }
    if (code === DmStatus.Forbidden)
      return failed('auth-rejected: the server refused the device (403 Forbidden)');
    if (code === DmStatus.InvalidCredentials || code === DmStatus.AuthenticationRequired)
      return this.challenged(code, client, challenge);
    return { kind: 'other', code: status.data };
  }

  private build(): Cred | undefined {
    const client = this.account?.client ?? null;
    if (client === null || this.accepted) return undefined;
    if (client.scheme === 'basic') return basicCredential(client.name, client.secret);
    if (this.nonce === null) return undefined;
    return md5Credential({ user: client.name, password: client.secret, nonce: this.nonce });
  }

  private keepNonce(nonce: Uint8Array): void {
    this.nonce = nonce;
    this.nonceFresh = true;
    this.account?.saveNonce(toBase64(nonce));
  }

  /** A 401 or 407: answer it with a fresh Cred, or say why not. */
  private challenged(
    code: number,
    client: AccountCredential | null,
    challenge: Challenge | undefined,
  ): AuthVerdict {
    if (client === null)
      return failed(
        `auth-rejected: the server asks for credentials (${code}) and the account has none`,
      );
    const scheme = SCHEME_TYPE[client.scheme];
    if (challenge?.type !== undefined && challenge.type !== scheme)
      return failed(
        `auth-rejected: the server asks for ${challenge.type} (${code}), the account answers ${scheme}`,
      );
    if (code === DmStatus.InvalidCredentials && this.lastCred.sent) {
      // Only an MD5 digest on a nonce from an earlier session may be refused for its nonce alone.
      const stale = client.scheme === 'md5' && !this.lastCred.fresh;
      if (!stale || challenge?.nonce === undefined)
        return failed(`auth-rejected: the server refused the credentials (401) for ${scheme}`);
    }
    this.challenges++;
    if (this.challenges > MAX_CHALLENGES)
      return failed(
        `auth-challenge-loop: the server challenged ${this.challenges} times in one session (at most ${MAX_CHALLENGES} are answered)`,
      );
    if (client.scheme === 'md5' && this.nonce === null)
      return failed(`auth-rejected: the server challenged (${code}) without a nonce for ${scheme}`);
    this.accepted = false;
    return { kind: 'resend' };
  }
}

function failed(reason: string): AuthVerdict {
  return { kind: 'failed', reason };
}

/** A device without a DM account, as before accounts: 401, 403, 407 are `unauthorized`. */
function withoutAccount(code: number, data: string): AuthVerdict {
  if (code === DmStatus.Ok || code === DmStatus.AuthenticationAccepted) return { kind: 'accepted' };
  if (
    code === DmStatus.InvalidCredentials ||
    code === DmStatus.Forbidden ||
    code === DmStatus.AuthenticationRequired
  )
    return failed(`unauthorized (${code})`);
  return { kind: 'other', code: data };
}
