/**
 * The public documents the checks quote: each check's `source` is one of these with its quote
 * (`judges/`). The README's table of checks is generated from the checks (`check-table.ts`).
 *
 * @module
 */

/** Microsoft's page on push for MDM: the recommendations most checks enforce. */
export const PUSH_PAGE = {
  document: 'Push notification support for device management',
  url: 'https://learn.microsoft.com/windows/client-management/push-notification-windows-mdm',
} as const;

/** WNS's answers to a sender and what each asks of it. */
export const HEADERS_PAGE = {
  document: 'Push notification service request and response headers',
  url: 'https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers',
} as const;

/** The DMClient configuration service provider: the Push and Poll nodes. */
export const DMCLIENT_CSP = {
  document: 'DMClient CSP',
  url: 'https://learn.microsoft.com/windows/client-management/mdm/dmclient-csp',
} as const;

/** Windows' OMA DM protocol support: SyncML DM 1.2 as Windows speaks it. */
export const OMA_DM_PAGE = {
  document: 'OMA DM protocol support',
  url: 'https://learn.microsoft.com/windows/client-management/oma-dm-protocol-support',
} as const;
