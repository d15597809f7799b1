/**
 * The DM account a management session authenticates with: what the w7 APPLICATION CSP (or the
 * DMAcc CSP) holds for the device's management server, read from the device's DM tree. The tree
 * owns the values (a server may Replace them: rekey); a session reads the credential for each
 * message, so a rekey counts from the next message, and stores each NextNonce the server sends,
 * so the next message and the next session use it.
 */

/** `syncml:auth-md5` or `syncml:auth-basic` (DMAcc `AAuthType` `DIGEST` / `BASIC`). */
export type AuthScheme = 'md5' | 'basic';

/** The device's credential to the server (w7 APPAUTH `APPSRV`, DMAcc AppAuth `CLCRED`). */
export interface AccountCredential {
  readonly scheme: AuthScheme;
  /** `AAuthName`. */
  readonly name: string;
  /** `AAuthSecret`. */
  readonly secret: string;
  /** `AAuthData`: the server's last nonce, base64 of its bytes; `''` when none was given yet. */
  readonly nonce: string;
}

/** One DM account of the device. */
export interface DmAccount {
  /** `ServerID` / w7 `PROVIDER-ID`. */
  readonly serverId: string;
  /** `AppAddr/{x}/Addr` / w7 `ADDR`: the URL sessions post to. */
  readonly serverUrl: string;
  /** The device's credential to the server as the tree holds it now, or null when it has none. */
  readonly client: AccountCredential | null;
  /** Keeps the server's NextNonce (base64 of its bytes) as the client credential's `AAuthData`. */
  saveNonce(nonceBase64: string): void;
}

/** The TLS client identity of an enrolled device: its certificate, its key, the roots it trusts. */
export interface ClientIdentity {
  /** The device's certificate (from the provisioning document's `CertificateStore/My`), PEM. */
  readonly certificatePem: string;
  /** The private key the device generated for its certificate request, PKCS#8 PEM. */
  readonly keyPem: string;
  /** Roots from the provisioning document's `CertificateStore/Root/System`, PEM. */
  readonly trustedCaPems: readonly string[];
}
