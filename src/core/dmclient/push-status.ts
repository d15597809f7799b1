/**
 * `./Vendor/MSFT/DMClient/Provider/{ProviderID}/Push/Status` values (DMClient CSP).
 * 8 is "unknown error" in the CSP documentation; [MS-MDE2] reads it as "Push Not Available On the SKU".
 */
export const PushStatus = {
  Success: 0,
  InvalidPfn: 1,
  InvalidMsaAuth: 2,
  WnsRegistrationFailed: 3,
  NoChannelUri: 4,
  ChannelUriExpired: 5,
  ChannelUriRevokeFailed: 6,
  PushWithoutSession: 7,
  Unknown: 8,
} as const;
export type PushStatus = (typeof PushStatus)[keyof typeof PushStatus];

/** The CSP's wording of each value, for text output. */
export const PUSH_STATUS_TEXT: Readonly<Record<PushStatus, string>> = {
  0: 'success',
  1: 'invalid PFN',
  2: 'invalid or expired MSA device authentication',
  3: 'WNS registration failed (invalid or revoked PFN)',
  4: 'no Channel URI assigned',
  5: 'Channel URI expired',
  6: 'Channel URI failed to be revoked',
  7: 'push received, but no management session possible (power or connectivity)',
  8: 'unknown error',
};

/** The CSP path of a Push node for a provider. */
export function pushNodePath(providerId: string, node: 'PFN' | 'ChannelURI' | 'Status'): string {
  return `./Vendor/MSFT/DMClient/Provider/${providerId}/Push/${node}`;
}
