/**
 * dmpush/node: the adapters and servers, for Node. The WNS emulator with its HTTP endpoints,
 * device WebSockets and local TLS; the OMA-DM HTTP client; the reference MDM server; the control
 * API of a live fleet; the self-contained HTML report. The pure core they work with (clocks,
 * devices, the simulation, scenarios, the SyncML codec, errors…) is imported from `dmpush`.
 *
 * @packageDocumentation
 */

// The WNS emulator and its apps file.
export { WnsEmulator, DEFAULT_PUSH_ACK_DEADLINE_MS } from './wns/emulator.js';
export type { WnsEmulatorOptions, InboxItem } from './wns/emulator.js';
export { parseAppsFile } from './wns/apps-file.js';

// Its HTTP endpoints (token, notify, admin API), device WebSockets and TLS.
export { createWnsHttpServer } from './adapters/http/wns-http-server.js';
export type {
  WnsHttpServer,
  WnsHttpServerOptions,
  WnsRequestLogEntry,
} from './adapters/http/wns-http-server.js';
export {
  attachDeviceSockets,
  DeviceCloseCode,
  DEVICE_SOCKET_PATH,
} from './adapters/ws/device-socket-server.js';
export type {
  DeviceSockets,
  DeviceSocketOptions,
  ClientMessage,
  ServerMessage,
} from './adapters/ws/device-socket-server.js';
export { WebSocketWnsLink, DEFAULT_BACKOFF } from './adapters/ws/websocket-wns-link.js';
export type { WebSocketWnsLinkOptions, BackoffOptions } from './adapters/ws/websocket-wns-link.js';
export {
  DeviceCredentialRefusedError,
  fleetCredentials,
  memoryCredentials,
} from './adapters/ws/device-credentials.js';
export type { LinkCredentials } from './adapters/ws/device-credentials.js';
export { ensureCertificates, DEFAULT_TLS_NAMES } from './adapters/tls/certificates.js';
export type { TlsMaterial } from './adapters/tls/certificates.js';

// The device's OMA-DM transport over HTTP.
export { OmaDmHttpClient, retryAfterMs } from './adapters/http/omadm-client.js';
export type { OmaDmHttpClientOptions } from './adapters/http/omadm-client.js';

// The reference MDM server and the live fleet's control API.
export {
  DEFAULT_PROVIDER_ID,
  MdmProtocolError,
  REFERENCE_POLL,
  ReferenceMdm,
} from './mdm-server/reference-mdm.js';
export type {
  MdmDeviceRecord,
  MdmServerEvent,
  PollSchedule,
  ReferenceMdmOptions,
} from './mdm-server/reference-mdm.js';
export type { PushResult, WnsSendOutcome, WnsSendResult } from './mdm-server/push-result.js';
export {
  DEFAULT_PUSH_TTL_SECONDS,
  DEFAULT_THROTTLE_BACKOFF_SECONDS,
  WnsSender,
} from './adapters/mdm-server/wns-sender.js';
export type { PushOptions, WnsSenderOptions } from './adapters/mdm-server/wns-sender.js';
export { MAX_SYNCML_BYTES, createReferenceMdmServer } from './adapters/mdm-server/http-server.js';
export type {
  ReferenceMdmServer,
  ReferenceMdmServerOptions,
} from './adapters/mdm-server/http-server.js';
export { startReferenceMdm } from './adapters/mdm-server/start.js';
export type {
  StartReferenceMdmOptions,
  RunningReferenceMdm,
  ReferenceEnrollmentOptions,
  RunningEnrollment,
} from './adapters/mdm-server/start.js';

// Enrollment (MS-MDE2) over HTTP(S): the device's client, its keys, the enrollment port.
export { enroll } from './adapters/enroll/enrollment-client.js';
export type {
  EnrollFailure,
  EnrollOptions,
  EnrollStage,
  EnrollmentOutcome,
} from './adapters/enroll/enrollment-client.js';
export { HttpEnrollmentService } from './adapters/enroll/enrollment-service.js';
export type {
  HttpEnrollmentServiceOptions,
  TokenCommandCredentials,
} from './adapters/enroll/enrollment-service.js';
export {
  generateDeviceKey,
  createCertificateRequest,
  thumbprint,
} from './adapters/enroll/device-key.js';
export { createControlApi, deviceJson } from './adapters/http/control-api.js';
export type { ControlApiOptions, ControlPushOptions } from './adapters/http/control-api.js';

// The self-contained HTML report (it inlines vis-timeline, read from node_modules).
export { renderHtmlReport } from './adapters/pages/html-report.js';
export { buildReportData } from './report/html-report.js';
