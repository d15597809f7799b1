/**
 * SyncML DM 1.2 authentication at the application layer: the credential a client puts in its
 * SyncHdr (`<Cred>`) and the challenge a server answers with (`<Chal>` in the SyncHdr's Status).
 * Pure: MD5 from `@noble/hashes`, base64 with the platform's `btoa`/`atob` (docs/model.md,
 * "SyncML authentication").
 *
 * - `syncml:auth-basic`: Data is `B64(username:password)` (OMA DM Protocol 1.2, authentication
 *   examples: `Bruce2`/`OhBehave` is `QnJ1Y2UyOk9oQmVoYXZl`).
 * - `syncml:auth-md5`: Data is `B64(H(B64(H(username:password)):nonce))`, H = MD5 (OMA DM
 *   Security 1.2 §5.3; OMA DM RepPro 1.2, Cred: `Bruce2`/`OhBehave`/`Nonce` is
 *   `Zz6EivR3yeaaENcRN6lpAQ==`). The nonce is the bytes the server chose: a Chal's NextNonce has
 *   Format `b64`, so its text is decoded before hashing. Fleet's server does the same: it sends
 *   `B64(uuid)` and hashes the uuid's text (`server/service/microsoft_mdm.go`).
 *
 * Strings are hashed and encoded as UTF-8 (an assumption for non-ASCII names: the specifications
 * speak of characters, Fleet's Go code hashes UTF-8 bytes).
 */
import { md5 } from '@noble/hashes/legacy.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { SyncMLError } from './errors.js';
import type { Cred, StatusCommand } from './message.js';

/** `<Meta><Type>` of an MD5 digest credential or challenge. */
export const AUTH_MD5 = 'syncml:auth-md5';
/** `<Meta><Type>` of a basic (user:password) credential or challenge. */
export const AUTH_BASIC = 'syncml:auth-basic';

/**
 * Standard base64 (RFC 4648 §4) with padding, as Go's `base64.StdEncoding`: the platform's `btoa`
 * (a web API, in Node and browsers alike, so the core stays pure).
 */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard base64 with its padding: groups of four, `=` only at the end. */
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard base64, or returns null. Whitespace (XML line breaks, indentation) is dropped
 * first; padding is required; bits past the last byte are ignored (both as Go's
 * `base64.StdEncoding`, which Fleet uses).
 */
function fromBase64(text: string): Uint8Array | null {
  const compact = text.replace(/[\t\n\r ]+/g, '');
  if (!BASE64_TEXT.test(compact)) return null;
  return Uint8Array.from(atob(compact), (char) => char.charCodeAt(0));
}

/**
 * The `syncml:auth-md5` digest, base64: `B64(MD5(B64(MD5(user:password)):nonce))`.
 *
 * @param nonce - The nonce's bytes: a challenge's NextNonce already decoded from base64
 *   ({@link readChallenge}), not its base64 text.
 */
export function md5Digest({
  user,
  password,
  nonce,
}: {
  readonly user: string;
  readonly password: string;
  readonly nonce: Uint8Array;
}): string {
  const secret = toBase64(md5(utf8ToBytes(`${user}:${password}`)));
  return toBase64(md5(concatBytes(utf8ToBytes(`${secret}:`), nonce)));
}

/** The `<Cred>` of an MD5 digest: Type `syncml:auth-md5`, Format `b64` (both required by Fleet). */
export function md5Credential(input: Parameters<typeof md5Digest>[0]): Cred {
  return { meta: { format: 'b64', type: AUTH_MD5 }, data: md5Digest(input) };
}

/** The `<Cred>` of `syncml:auth-basic`: `B64(user:password)`, Format `b64`. */
export function basicCredential(user: string, password: string): Cred {
  return {
    meta: { format: 'b64', type: AUTH_BASIC },
    data: toBase64(utf8ToBytes(`${user}:${password}`)),
  };
}

/** A challenge read from a Status: the scheme asked for and, for MD5, the nonce to hash. */
export interface Challenge {
  /** Meta Type as sent (`syncml:auth-md5`, `syncml:auth-basic`…), when sent. */
  readonly type?: string;
  /** The NextNonce's bytes (decoded when its Format is `b64`), when the challenge carries one. */
  readonly nonce?: Uint8Array;
}

/**
 * The challenge a Status carries, if any. NextNonce with Format `b64` is decoded (OMA DM RepPro
 * 1.2, Chal: for `syncml:auth-md5` the Format MUST be `b64`); with another Format, or none, its
 * text is the nonce, as UTF-8 (**assumption**: no source covers a nonce not in base64).
 *
 * @throws {@link SyncMLError} (400) when a `b64` NextNonce is not base64.
 */
export function readChallenge(status: StatusCommand): Challenge | undefined {
  const meta = status.chal?.meta;
  if (meta === undefined) return undefined;
  const type = meta.type === undefined ? {} : { type: meta.type };
  if (meta.nextNonce === undefined) return type;
  if (meta.format !== 'b64') return { ...type, nonce: utf8ToBytes(meta.nextNonce) };
  const nonce = fromBase64(meta.nextNonce);
  if (nonce === null) {
    throw new SyncMLError('Status/Chal/Meta/NextNonce', 'expected base64 (Format b64)');
  }
  return { ...type, nonce };
}
