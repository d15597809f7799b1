/** The reference MDM server: session logic, WNS sender and HTTP adapter. */
export {
  DEFAULT_PROVIDER_ID,
  MdmProtocolError,
  REFERENCE_POLL,
  ReferenceMdm,
  type MdmDeviceRecord,
  type MdmServerEvent,
  type PollSchedule,
  type PushResult,
  type ReferenceMdmOptions,
} from './reference-mdm.js';
export {
  DEFAULT_PUSH_TTL_SECONDS,
  DEFAULT_THROTTLE_BACKOFF_SECONDS,
  WnsSender,
  type PushOptions,
  type WnsSendOutcome,
  type WnsSendResult,
  type WnsSenderOptions,
} from './wns-sender.js';
export {
  MAX_SYNCML_BYTES,
  createReferenceMdmServer,
  type ReferenceMdmServer,
  type ReferenceMdmServerOptions,
} from './http-server.js';
