/**
 * Which ChannelURIs the reference MDM server sends to. A push carries the server's WNS access
 * token, and a ChannelURI comes from the device (the Results of a Get of `Push/ChannelURI`): a
 * spoofed device could answer with a host of its own and collect the token. Microsoft's WNS
 * overview asks senders to check the domain: "It is important that the cloud service always
 * ensures that the channel URI uses the domain "notify.windows.com". The service should never
 * push notifications to a channel on any other domain. [...] The subdomain of the channel URI is
 * subject to change and should not be considered when validating the channel URI."
 * (https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/wns-overview,
 * "Requesting a notification channel"). WNS takes notifications over SSL, on port 443 (same
 * page, "Sending a notification"; "Enterprise Firewall Configurations to Support WNS Traffic":
 * https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/firewall-allowlist-config,
 * `CloudServiceDNS` `*.notify.windows.com`, port 443).
 *
 * @module
 */

/** WNS's domain for channel URIs. */
const WNS_CHANNEL_DOMAIN = 'notify.windows.com';

/** Whether a ChannelURI may be sent to; when not, its origin (null: not a URL) and why. */
export type ChannelHostCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly origin: string | null; readonly reason: string };

/**
 * Checks `channelUri` against the WNS host rule: `https:` on `notify.windows.com` or any of its
 * subdomains, on the default port (443); or exactly the origin (scheme, host and port) of one of
 * `emulatorOrigins`, the WNS emulators the server was configured with. A URI with user
 * information is refused (no WNS URI has any). Pure.
 */
export function checkChannelHost(
  channelUri: string,
  emulatorOrigins: readonly string[],
): ChannelHostCheck {
  let url: URL;
  try {
    url = new URL(channelUri);
  } catch {
    return { ok: false, origin: null, reason: 'the ChannelURI is not a URL' };
  }
  const origin = url.origin;
  if (url.username !== '' || url.password !== '')
    return { ok: false, origin, reason: `${origin}: a ChannelURI carries no user information` };
  if (emulatorOrigins.some((o) => originOf(o) === origin)) return { ok: true };
  const host = url.hostname;
  const wnsHost = host === WNS_CHANNEL_DOMAIN || host.endsWith(`.${WNS_CHANNEL_DOMAIN}`);
  if (wnsHost && url.protocol === 'https:' && url.port === '') return { ok: true };
  const emulators = emulatorOrigins.length
    ? `, or the WNS emulator's ${emulatorOrigins.map(originOf).join(', ')}`
    : '';
  return {
    ok: false,
    origin,
    reason:
      `${origin} is not a WNS host: a ChannelURI must be https on ${WNS_CHANNEL_DOMAIN} or a ` +
      `subdomain, port 443${emulators}`,
  };
}

/** The origin of `text` (a URL or an origin), or the text itself when it is not a URL. */
function originOf(text: string): string {
  try {
    return new URL(text).origin;
  } catch {
    return text;
  }
}
