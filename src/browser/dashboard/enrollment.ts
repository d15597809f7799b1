/**
 * A device's enrollment on the dashboard: the facts of the device panel (provider, auth type,
 * when, management URL, certificate subject, expiry and thumbprint; or "not enrolled") and the
 * fleet list's badge. The field is read defensively: a server that predates enrollment sends
 * none, and a value of the wrong form shows as not enrolled rather than breaking the page.
 */
import { formatIsoTime } from '../../report/format.js';
import { esc } from '../shared/dom.js';
import { fact } from './badges.js';
import { state } from './state.js';
import type { DeviceJson, EnrollmentJson } from './wire.js';

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The device's enrollment, or null when it is not enrolled, the server does not say (an older
 * one), or the value is not an object with a provider.
 */
function enrollmentOf(d: DeviceJson): EnrollmentJson | null {
  const e = d.enrollment;
  if (typeof e !== 'object' || e === null) return null;
  const r = e as Record<string, unknown>;
  const providerId = text(r['providerId']);
  if (providerId === '') return null;
  return {
    providerId,
    managementUrl: text(r['managementUrl']),
    certificateThumbprint: text(r['certificateThumbprint']),
    certificateSubject: text(r['certificateSubject']),
    certificateNotAfter: text(r['certificateNotAfter']),
    enrolledAt: text(r['enrolledAt']),
    authType: r['authType'] === 'Federated' ? 'Federated' : 'OnPremise',
  };
}

/** `value` as code, or a dim dash when the server left it empty. */
const code = (value: string, className = ''): string =>
  value
    ? `<code${className ? ` class="${className}"` : ''} title="${esc(value)}">${esc(value)}</code>`
    : '<span class="dim">—</span>';

/** The certificate's expiry, marked when it has passed at the fleet's clock. */
function expiry(notAfter: string): string {
  const at = Date.parse(notAfter);
  const now = state.now === null ? NaN : Date.parse(state.now);
  const expired = !Number.isNaN(at) && !Number.isNaN(now) && at <= now;
  return (
    `expires <span class="cert-expiry">${esc(formatIsoTime(notAfter))}</span>` +
    (expired ? ' <span class="pill bad">expired</span>' : '')
  );
}

/** The device panel's enrollment facts: one "not enrolled" fact, or what the enrollment holds. */
export function enrollmentFacts(d: DeviceJson): string[] {
  const e = enrollmentOf(d);
  if (!e)
    return [
      fact('Enrollment', '<span class="dim" data-enrollment="none">not enrolled</span>', true),
    ];
  return [
    fact(
      'Enrollment',
      `<span class="pill ok" data-enrollment="enrolled">enrolled</span> with ${code(e.providerId)} ` +
        esc(`(${e.authType}) since ${formatIsoTime(e.enrolledAt)}`),
      true,
    ),
    fact('Management URL', code(e.managementUrl, 'uri'), true),
    fact(
      'Certificate',
      `${code(e.certificateSubject)} · ${expiry(e.certificateNotAfter)} · thumbprint ` +
        code(e.certificateThumbprint),
      true,
    ),
  ];
}

/** The fleet list's badge for an enrolled device (empty for one that is not). */
export function enrollmentBadge(d: DeviceJson): string {
  const e = enrollmentOf(d);
  return e
    ? ` <span class="pill info enrolled" title="${esc(`enrolled with ${e.providerId}`)}">enrolled</span>`
    : '';
}
