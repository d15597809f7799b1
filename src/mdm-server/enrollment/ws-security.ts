/**
 * How devices authenticate to enroll (MS-MDE2 §3.3–3.4; Microsoft's "On-premises authentication
 * device enrollment" and "Federated authentication device enrollment"): the settings, and the
 * check of a request's WS-Security header against them.
 */
import { ValidationError } from '../../core/errors.js';
import { base64ToBytes } from './base64.js';
import { EnrollmentFault } from './faults.js';
import { FEDERATED_TOKEN_TYPES, PASSWORD_TEXT } from './mde2.js';
import type { EnrollmentAuthPolicy } from './registry.js';
import type { SoapHeader } from './soap-request.js';

/** A user the OnPremise policy accepts (WS-Security UsernameToken). */
export interface EnrollmentUser {
  readonly user: string;
  readonly password: string;
}

/** How devices authenticate to enroll. */
export interface EnrollmentSettings {
  readonly authPolicy: EnrollmentAuthPolicy;
  /** OnPremise: the users accepted (at least one). */
  readonly users?: readonly EnrollmentUser[];
  /**
   * Federated: the tokens accepted (at least one), as sent or as their base64 encoding (a
   * BinarySecurityToken's EncodingType is base64binary).
   */
  readonly tokens?: readonly string[];
}

/** Checks the settings; throws a {@link ValidationError} naming each problem. */
export function checkEnrollmentSettings(settings: EnrollmentSettings): void {
  const issues: string[] = [];
  const { authPolicy, users = [], tokens = [] } = settings;
  if (authPolicy !== 'OnPremise' && authPolicy !== 'Federated')
    issues.push(
      `enrollment.authPolicy: expected OnPremise or Federated, got ${String(authPolicy)}`,
    );
  if (authPolicy === 'OnPremise' && users.length === 0)
    issues.push('enrollment.users: expected at least one user for the OnPremise policy');
  if (authPolicy === 'Federated' && tokens.length === 0)
    issues.push('enrollment.tokens: expected at least one token for the Federated policy');
  users.forEach((u, i) => {
    if (u.user === '') issues.push(`enrollment.users[${i}].user: expected a non-empty name`);
  });
  tokens.forEach((t, i) => {
    if (t.trim() === '') issues.push(`enrollment.tokens[${i}]: expected a non-empty token`);
  });
  if (issues.length > 0) throw new ValidationError(issues);
}

/**
 * Checks a request's WS-Security header against the policy; returns the UsernameToken user
 * (null for a token). OnPremise wants a UsernameToken whose password is sent as text and matches
 * a configured user; Federated a BinarySecurityToken (device enrollment user token or JWT) that
 * is, or encodes, one of the configured tokens. Throws `a:InvalidSecurity` for a missing or unusable header,
 * `s:Authentication` for credentials not accepted (the fault never quotes them).
 */
export function authenticate(
  { authPolicy, users = [], tokens = [] }: EnrollmentSettings,
  { security }: SoapHeader,
): string | null {
  if (security === null) throw new EnrollmentFault('InvalidSecurity', 'wsse:Security: missing');
  if (authPolicy === 'OnPremise') {
    if (security === 'unreadable' || security.kind !== 'username')
      throw new EnrollmentFault(
        'InvalidSecurity',
        'wsse:Security: expected a UsernameToken (OnPremise)',
      );
    if (security.passwordType !== null && security.passwordType !== PASSWORD_TEXT)
      throw new EnrollmentFault('InvalidSecurity', `wsse:Password Type: expected ${PASSWORD_TEXT}`);
    if (!users.some((u) => u.user === security.user && u.password === security.password))
      throw new EnrollmentFault('Authentication', 'the user name or password is not accepted');
    return security.user;
  }
  if (security === 'unreadable' || security.kind !== 'binary')
    throw new EnrollmentFault(
      'InvalidSecurity',
      'wsse:Security: expected a BinarySecurityToken (Federated)',
    );
  if (!FEDERATED_TOKEN_TYPES.includes(security.valueType))
    throw new EnrollmentFault(
      'InvalidSecurity',
      `BinarySecurityToken ValueType: expected one of ${FEDERATED_TOKEN_TYPES.join(', ')}`,
    );
  const sent = [security.token, decodedToken(security.token)];
  if (!tokens.some((t) => sent.includes(t.trim())))
    throw new EnrollmentFault('Authentication', 'the security token is not accepted');
  return null;
}

/**
 * The token a BinarySecurityToken carries base64-encoded (its EncodingType), as UTF-8 text; null
 * when it is not base64 of UTF-8. A configured token matches either form: the text as sent (a
 * token that is base64 itself, as Fleet's programmatic one) or what it encodes.
 */
function decodedToken(text: string): string | null {
  const bytes = base64ToBytes(text);
  if (bytes === null) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
