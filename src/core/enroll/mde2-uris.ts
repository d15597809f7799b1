/**
 * The namespaces, WS-Addressing actions and token URIs of Windows enrollment, as MS-MDE2 (§2.2,
 * §3.1–§3.4), MS-XCEP and MS-WSTEP name them, and as Windows and fleetdm/fleet
 * (`server/mdm/microsoft/syncml`) send them.
 */

/** SOAP 1.2 envelope (`s:`). */
export const NS_SOAP = 'http://www.w3.org/2003/05/soap-envelope';
/** WS-Addressing 1.0 (`a:`). */
export const NS_ADDRESSING = 'http://www.w3.org/2005/08/addressing';
/** WS-Security utility (`u:`). */
export const NS_WSU =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
/** WS-Security extension (`wsse:`). */
export const NS_WSSE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
/** WS-Trust 1.3 (`wst:`). */
export const NS_WST = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512';
/** WS-Federation authorization, for `AdditionalContext` (`ac:`). */
export const NS_AC = 'http://schemas.xmlsoap.org/ws/2006/12/authorization';
/** XML Schema instance (`xsi:nil`). */
export const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';
/** XML Schema. */
export const NS_XSD = 'http://www.w3.org/2001/XMLSchema';
/** The Discover messages' namespace (MS-MDE2 §3.1.4.1). */
export const NS_ENROLLMENT = 'http://schemas.microsoft.com/windows/management/2012/01/enrollment';
/** The GetPolicies messages' namespace (MS-XCEP §3.1.4.1). */
export const NS_POLICY = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy';
/** MS-WSTEP's enrollment namespace (`RequestID`, `DispositionMessage`, the PKCS#10 value type). */
const NS_WSTEP = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment';

/** `a:Action` of the Discover request (MS-MDE2 §3.1.4.1.1.1). */
export const ACTION_DISCOVER = `${NS_ENROLLMENT}/IDiscoveryService/Discover`;
/** `a:Action` of GetPolicies (MS-XCEP §3.1.4.1.1.1). */
export const ACTION_GET_POLICIES = `${NS_POLICY}/IPolicy/GetPolicies`;
/** `a:Action` of RequestSecurityToken (MS-WSTEP §3.1.4.1.1.1). */
export const ACTION_RST = `${NS_WSTEP}/RST/wstep`;

/** `a:ReplyTo/a:Address`: the anonymous endpoint (the reply comes back on the HTTP response). */
export const ADDRESS_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';

/** `wsse:Password/@Type` of the OnPremise UsernameToken (MS-MDE2 §3.3.4.1.1.1.3). */
export const PASSWORD_TEXT =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
/** `wsse:UsernameToken/@u:Id`, the constant MS-MDE2 §3.4.4.1.1.1.3 prescribes. */
export const USERNAME_TOKEN_ID = 'uuid-cc1ccc1f-2fba-4bcf-b063-ffc0cac77917-4';
/** `ValueType` of the Federated BinarySecurityToken (MS-MDE2 §3.4.4.1.1.1.1). */
export const USER_TOKEN_VALUE_TYPE =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken';
/** `EncodingType` of every BinarySecurityToken. */
export const BASE64_BINARY = `${NS_WSSE}#base64binary`;

/** `wst:TokenType` of the RequestSecurityToken (MS-MDE2 §3.4.4.1.1.1). */
export const ENROLLMENT_TOKEN_TYPE =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken';
/** `wst:RequestType` of a first enrollment. */
export const REQUEST_TYPE_ISSUE = `${NS_WST}/Issue`;
/** `ValueType` of the BinarySecurityToken holding the PKCS#10 request. */
export const PKCS10_VALUE_TYPE = `${NS_WSTEP}#PKCS10`;

/** `DeviceType` of a Windows desktop (MS-MDE2 §2.2.9.2). */
export const DEVICE_TYPE_WINDOWS = 'CIMClient_Windows';

/** HTTP Content-Type of every enrollment message (MS-MDE2 samples; Fleet's `SoapContentType`). */
export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';
