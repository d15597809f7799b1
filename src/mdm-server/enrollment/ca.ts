/**
 * The port through which the enrollment service gets device certificates signed: a local
 * enrollment CA, implemented by an adapter (`src/adapters/mdm-server/enrollment-ca.ts`) with
 * `@peculiar/x509` and WebCrypto. Certificates travel as base64 DER, as the provisioning
 * document's `EncodedCertificate` holds them.
 */

/** A certificate and its thumbprint (SHA-1 of the DER, uppercase hex: Windows' certificate name). */
export interface CaCertificate {
  /** Base64 of the DER. */
  readonly certificate: string;
  readonly thumbprint: string;
}

/** The subject a device certificate is issued to (Fleet: `CN` = HWDevID, `OU` = provider). */
export interface DeviceSubject {
  readonly commonName: string;
  readonly organizationalUnit: string;
}

/** A device certificate the CA issued. */
export interface IssuedDeviceCertificate extends CaCertificate {
  /** Its subject as a string (`CN=…, OU=…`). */
  readonly subject: string;
}

/** The enrollment CA. */
export interface EnrollmentCa {
  /** The CA's own certificate: the trust root the provisioning document installs. */
  readonly root: CaCertificate;
  /**
   * Verifies a base64 DER PKCS#10 request and issues a client-authentication certificate for its
   * public key to `subject`. Rejects with {@link CsrRejectedError} naming what is wrong with the
   * request (not a CSR, a bad signature, an empty subject, a key below the policy's length).
   */
  issue(csr: string, subject: DeviceSubject): Promise<IssuedDeviceCertificate>;
}

/** A certificate request the CA does not sign (answered as an `s:CertificateRequest` fault). */
export class CsrRejectedError extends Error {
  override readonly name = 'CsrRejectedError';
}
