/**
 * The enrolling user's credentials and the `wsse:Security` header that carries them in GetPolicies
 * and RequestSecurityToken (MS-MDE2 §3.3.4.1.1.1, §3.4.4.1.1.1; "On-premises authentication device
 * enrollment", "Federated authentication device enrollment").
 */
import { utf8ToBase64 } from './base64.js';
import {
  BASE64_BINARY,
  PASSWORD_TEXT,
  USER_TOKEN_VALUE_TYPE,
  USERNAME_TOKEN_ID,
} from './mde2-uris.js';
import { el, type OutElement } from './xml-out.js';

/** The authentication policies of MS-MDE2 (`AuthPolicy`, §3.1.4.1.3.2). */
export const AUTH_POLICIES = ['OnPremise', 'Federated', 'Certificate'] as const;
/** An authentication policy. */
export type AuthPolicy = (typeof AUTH_POLICIES)[number];

/**
 * What the client proves itself with:
 * - `OnPremise`: a user name and password, sent as a WS-Security UsernameToken (PasswordText);
 * - `Federated`: the security token an authentication service (or an MDM agent) gave, sent as a
 *   BinarySecurityToken. MS-MDE2 has the client base64-encode the token (`encoding: 'base64'`,
 *   the default); `verbatim` sends a token that already is base64 as is (fleetdm/fleet's
 *   programmatic enrollment hands Windows such a token: base64 of a JSON payload).
 */
export type EnrollmentCredentials =
  | { readonly policy: 'OnPremise'; readonly user: string; readonly password: string }
  | {
      readonly policy: 'Federated';
      readonly token: string;
      readonly encoding?: 'base64' | 'verbatim';
    };

/** The `wsse:Security` header element for `credentials`. */
export function securityHeader(credentials: EnrollmentCredentials): OutElement {
  if (credentials.policy === 'OnPremise') {
    return el(
      'wsse:Security',
      { 's:mustUnderstand': '1' },
      el(
        'wsse:UsernameToken',
        { 'u:Id': USERNAME_TOKEN_ID },
        el('wsse:Username', {}, credentials.user),
        el('wsse:Password', { 'wsse:Type': PASSWORD_TEXT }, credentials.password),
      ),
    );
  }
  const token =
    credentials.encoding === 'verbatim' ? credentials.token : utf8ToBase64(credentials.token);
  return el(
    'wsse:Security',
    { 's:mustUnderstand': '1' },
    el(
      'wsse:BinarySecurityToken',
      { ValueType: USER_TOKEN_VALUE_TYPE, EncodingType: BASE64_BINARY },
      token,
    ),
  );
}
