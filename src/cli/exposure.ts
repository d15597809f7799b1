/** What `serve` and `wns` say when they listen beyond this machine. */
import { isLocalName } from '../adapters/http/access.js';

/**
 * The warning for binding `host` (`--host`) with no API token, or null when there is nothing to
 * say: a loopback address reaches this machine only, and a token protects `apis`.
 */
export function exposureWarning(
  host: string,
  apiToken: string | undefined,
  apis: string,
): string | null {
  if (apiToken !== undefined) return null;
  if (isLocalName(host) && host !== '0.0.0.0' && host !== '::') return null;
  return (
    `warning: --host ${host} makes ${apis} reachable from the network without ` +
    'authentication: anyone who reaches their port can drive the fleet. Set --api-token ' +
    '(or DMPUSH_API_TOKEN), or bind 127.0.0.1.\n'
  );
}
