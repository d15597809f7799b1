/**
 * The server's side of `syncml:auth-md5` (OMA DM Security 1.2 §5.3): it keeps the hash of a
 * device's credential, `B64(MD5(name ":" secret))`, never the secret, and checks a digest
 * `B64(MD5(hash ":" nonce))` against it, the nonce being the bytes it issued (a `b64` NextNonce
 * decoded). Fleet keeps the same hash (`credentials_hash`) and checks digests the same way
 * (fleetdm/fleet `server/service/microsoft_mdm.go`, `isTrustedRequest`). The device side computes
 * the same digest from the secret (`src/core/syncml/auth.ts`, `md5Digest`).
 */
import { md5 } from '@noble/hashes/legacy.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bytesToBase64 } from './base64.js';

/** `B64(MD5(name ":" secret))`: what the server keeps of a device's credential. */
export function credentialHash(name: string, secret: string): string {
  return bytesToBase64(md5(utf8ToBytes(`${name}:${secret}`)));
}

/** The digest a device holding the credential behind `hash` sends for `nonce`: `B64(MD5(hash ":" nonce))`. */
export function digestFromHash(hash: string, nonce: Uint8Array): string {
  return bytesToBase64(md5(concatBytes(utf8ToBytes(`${hash}:`), nonce)));
}
