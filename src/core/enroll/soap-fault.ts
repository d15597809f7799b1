/**
 * SOAP faults of the enrollment services (MS-MDE2 §2.2.10): SOAP 1.2 `Fault` with `Code/Value`,
 * `Code/Subcode/Value` and `Reason/Text`. Element names are matched in any case: MS-MDE2's own
 * sample and fleetdm/fleet (`server/fleet/microsoft_mdm.go`, `SoapFault`) write them in lower case
 * (`s:fault`, `s:code`, `s:value`). A SOAP 1.1 fault (`faultcode`, `faultstring`) is read too.
 */
import { child, required, textOf, type Located } from './soap-reader.js';

/** A fault the server answered with. */
export interface SoapFault {
  /** `Code/Value`, as sent (`s:Receiver`, `s:receiver`). */
  readonly code: string;
  /** `Code/Subcode/Value`, as sent (`s:Authentication`, `a:InvalidSecurity`), if any. */
  readonly subcode?: string;
  /** `Reason/Text`, if any. */
  readonly reason: string;
}

/**
 * The subcodes of MS-MDE2 §2.2.10 with the error Windows reports for each (HRESULT), by the
 * subcode's local name in lower case.
 */
const FAULT_ERRORS: ReadonlyMap<string, { readonly error: string; readonly hresult: string }> =
  new Map([
    ['messageformat', { error: 'MENROLL_E_DEVICE_MESSAGE_FORMAT_ERROR', hresult: '0x80180001' }],
    ['authentication', { error: 'MENROLL_E_DEVICE_AUTHENTICATION_ERROR', hresult: '0x80180002' }],
    ['authorization', { error: 'MENROLL_E_DEVICE_AUTHORIZATION_ERROR', hresult: '0x80180003' }],
    [
      'certificaterequest',
      { error: 'MENROLL_E_DEVICE_CERTIFCATEREQUEST_ERROR', hresult: '0x80180004' },
    ],
    [
      'enrollmentserver',
      { error: 'MENROLL_E_DEVICE_CONFIGMGRSERVER_ERROR', hresult: '0x80180005' },
    ],
    [
      'internalservicefault',
      { error: 'MENROLL_E_DEVICE_INTERNALSERVICE_ERROR', hresult: '0x80180006' },
    ],
    ['invalidsecurity', { error: 'MENROLL_E_DEVICE_INVALIDSECURITY_ERROR', hresult: '0x80180007' }],
    ['devicecapreached', { error: 'MENROLL_E_DEVICECAPREACHED', hresult: '0x80180013' }],
    ['devicenotsupported', { error: 'MENROLL_E_DEVICENOTSUPPORTED', hresult: '0x80180014' }],
    ['notsupported', { error: 'MENROLL_E_NOTSUPPORTED', hresult: '0x80180015' }],
  ]);

function localPart(qname: string): string {
  return qname.slice(qname.indexOf(':') + 1);
}

/** The `Fault` in a SOAP Body, or undefined when the Body holds none. */
export function readFault(body: Located): SoapFault | undefined {
  const fault = child(body, 'Fault', true);
  if (fault === undefined) return undefined;
  const code = child(fault, 'Code', true);
  if (code === undefined) {
    // SOAP 1.1: faultcode and faultstring.
    const faultcode = required(fault, 'faultcode');
    const faultstring = child(fault, 'faultstring');
    return { code: textOf(faultcode), reason: faultstring ? textOf(faultstring) : '' };
  }
  const subcode = child(code, 'Subcode', true);
  const subcodeValue = subcode && child(subcode, 'Value', true);
  const reason = child(fault, 'Reason', true);
  const text = reason && child(reason, 'Text', true);
  return {
    code: textOf(required(code, 'Value', true)),
    ...(subcodeValue !== undefined && { subcode: textOf(subcodeValue) }),
    reason: text ? textOf(text) : '',
  };
}

/**
 * One line for a fault: the code, the subcode with the error Windows reports for it, and the
 * reason.
 *
 * @example
 * ```ts
 * describeFault({ code: 's:receiver', subcode: 's:authentication', reason: 'bad password' });
 * // 's:receiver/s:authentication (MENROLL_E_DEVICE_AUTHENTICATION_ERROR 0x80180002): bad password'
 * ```
 */
export function describeFault(fault: SoapFault): string {
  let text = fault.code;
  if (fault.subcode !== undefined) {
    text += `/${fault.subcode}`;
    const known = FAULT_ERRORS.get(localPart(fault.subcode).toLowerCase());
    if (known) text += ` (${known.error} ${known.hresult})`;
  }
  return fault.reason === '' ? text : `${text}: ${fault.reason}`;
}
