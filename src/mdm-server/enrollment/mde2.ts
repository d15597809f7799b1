/**
 * Names of the MS-MDE2 enrollment protocol (discovery, MS-XCEP policy, MS-WSTEP enrollment):
 * namespaces, WS-Addressing actions and token types, as the protocol document, Microsoft's
 * "On-premises authentication device enrollment" samples and Fleet's server
 * (fleetdm/fleet `server/mdm/microsoft/syncml/syncml.go`) write them.
 */

/** XML namespaces. */
export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://www.w3.org/2005/08/addressing',
  wssUtility: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wssSecext: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsTrust: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  discovery: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment',
  policy: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy',
  enrollment: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment',
  diagnostics: 'http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xsd: 'http://www.w3.org/2001/XMLSchema',
} as const;

/** WS-Addressing `Action` of each answer. */
export const ACTION = {
  discoverResponse: `${NS.discovery}/IDiscoveryService/DiscoverResponse`,
  getPoliciesResponse: `${NS.policy}/IPolicy/GetPoliciesResponse`,
  enrollResponse: `${NS.enrollment}/RSTRC/wstep`,
} as const;

/** `wst:TokenType` of an enrollment request and its response. */
export const DEVICE_ENROLLMENT_TOKEN =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken';
/** `ValueType` of the response's BinarySecurityToken: the base64 provisioning document. */
export const PROVISION_DOC_TOKEN =
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc';
/** `wst:RequestType` of a first enrollment (a renewal says `…/Renew`). */
export const REQUEST_ISSUE = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue';
/** `ValueType` of a PKCS#10 request; `#PKCS7` (a renewal signed by the old key) is not served. */
export const PKCS10 = `${NS.enrollment}#PKCS10`;
export const PKCS7 = `${NS.enrollment}#PKCS7`;
/** `EncodingType` of base64 binary tokens. */
export const BASE64_BINARY = `${NS.wssSecext}#base64binary`;
/** `ValueType`s of a Federated BinarySecurityToken: the device enrollment user token, a JWT. */
export const FEDERATED_TOKEN_TYPES: readonly string[] = [
  'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken',
  'urn:ietf:params:oauth:token-type:jwt',
];
/** `Type` of a UsernameToken password sent as text (the only one served). */
export const PASSWORD_TEXT =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';

/** The DeviceType of a Windows PC (Discover and AdditionalContext). */
export const WINDOWS_DEVICE_TYPE = 'CIMClient_Windows';
/**
 * The lowest Discover `RequestVersion` served. Fleet accepts any version at or above 4.0 since
 * fleetdm/fleet#49329 (Windows 11 25H2 sends 9.0; an allow-list of 4.0–7.0 refused it).
 */
export const MIN_REQUEST_VERSION = 4;
/** The `EnrollmentVersion` answered (Fleet answers 4.0). */
export const ENROLLMENT_VERSION = '4.0';
