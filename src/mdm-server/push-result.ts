/**
 * What a push of the reference MDM server came to, as WNS answered it (docs/reference
 * wns-protocol.md §1–3): what its sender returns (`WnsSender`, in
 * `src/adapters/mdm-server/wns-sender.ts`) and what the server records (`ReferenceMdm.recordPush`).
 */

/** What a push came to. */
export type WnsSendOutcome =
  /** 200: WNS took it (`notificationStatus` says `received` or `dropped`). */
  | 'sent'
  /** 410 (channel expired or revoked, or PFN blocked) or 404 (channel unknown): stop sending to this URI. */
  | 'channel-gone'
  /** 406, or still backing off after one: nothing more to this URI before `retryAfterSeconds`. */
  | 'throttled'
  /** No usable token (token request refused, 401 twice), or 403 (the channel is another app's). */
  | 'unauthorized'
  /** Anything else: 400, 405, 413, 5xx, a network error or a timeout. */
  | 'failed';

/** The result of `WnsSender.send`. */
export interface WnsSendResult {
  /** The HTTP status of the push; 0 when no push answer came (not sent, network error). */
  readonly status: number;
  /** `X-WNS-Status` (or the legacy `X-WNS-NotificationStatus`), null when absent. */
  readonly notificationStatus: string | null;
  readonly outcome: WnsSendOutcome;
  /** Seconds to wait, from `Retry-After` or `X-WNS-Continue-After` (or the backoff left). */
  readonly retryAfterSeconds?: number;
  /** Why it was not sent: `X-WNS-Error-Description`, the token error, or the network error. */
  readonly description?: string;
}

/** A push's result: the WNS answer, or `no-channel` (nothing sent: the server holds no URI). */
export type PushResult =
  | WnsSendResult
  | { readonly status: 0; readonly notificationStatus: null; readonly outcome: 'no-channel' };
