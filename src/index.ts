/**
 * dmpush: the library API. Everything here runs on either clock; see the README for examples.
 *
 * @packageDocumentation
 */

// Renewal and retry timing of the DMClient (the pure policy).
export {
  decideRenewal,
  scheduleAfterAttempt,
  scheduleAfterSkip,
  attemptGoesAhead,
  RENEWAL_TIMING,
  OS_VERSIONS,
} from './core/dmclient/renewal-policy.js';
export type {
  OsVersion,
  RenewalRule,
  RenewalDecision,
  RenewalInput,
} from './core/dmclient/renewal-policy.js';
export { planPolls, nextPoll, DEFAULT_POLL, POLL_START } from './core/dmclient/poll-schedule.js';
export type {
  PollConfig,
  PollSet,
  PollPlan,
  PollPhase,
  PollCursor,
} from './core/dmclient/poll-schedule.js';
export { PushStatus, PUSH_STATUS_TEXT } from './core/dmclient/push-status.js';
export { isWellFormedPfn } from './core/dmclient/pfn.js';

// Time and randomness.
export { VirtualClock } from './core/time/virtual-clock.js';
export type { VirtualClockOptions } from './core/time/virtual-clock.js';
export type { Clock, Timer } from './core/time/clock.js';
export { SystemClock } from './adapters/clock/system-clock.js';
export { SeededRandom, streamFor, streamSeed } from './core/random/random.js';
export type { Random } from './core/random/random.js';
export {
  SECOND,
  MINUTE,
  HOUR,
  DAY,
  formatInstant,
  parseInstant,
  parseDuration,
} from './core/time/iso.js';

// Devices, the fleet, the in-process WNS cloud and MDM server.
export { SimDevice } from './core/device/device.js';
export type { DeviceContext, DeviceSnapshot } from './core/device/device.js';
export type { DeviceSpec, DevicePatch } from './core/device/conditions.js';
export { DEFAULT_POWER } from './core/device/power.js';
export type { PowerConfig } from './core/device/power.js';
export { DEFAULT_NETWORK } from './core/device/network.js';
export type { NetworkConfig, NetworkType } from './core/device/network.js';
export { DEFAULT_DATA_SENSE } from './core/device/data-sense.js';
export type { DataSenseConfig } from './core/device/data-sense.js';
export { Simulation } from './core/simulation.js';
export type {
  SimulationSpec,
  SimulationAction,
  ScheduledAction,
  SimulationPorts,
  DeviceSelector,
} from './core/simulation.js';
export { WnsCloud } from './core/wns/wns-cloud.js';
export type { WnsCloudOptions, SendOptions, SendOutcome } from './core/wns/wns-cloud.js';
export { InMemoryMdm } from './core/mdm/in-memory-mdm.js';
export type { InMemoryMdmOptions } from './core/mdm/in-memory-mdm.js';
export type {
  WnsLink,
  LinkHandlers,
  IncomingPush,
  ChannelGrant,
  MdmTransport,
  SessionRequest,
  SessionResult,
  PushNodes,
} from './core/ports.js';

// The timeline.
export { MemorySink, TeeSink, TIMELINE_EVENT_TYPES } from './core/timeline/events.js';
export type {
  TimelineEvent,
  TimelineEventOf,
  TimelineEventType,
  TimelineEventFields,
  EventSink,
  SessionTrigger,
  DisconnectReason,
  ChannelFailure,
  ChannelRequestReason,
  CachePolicy,
  DropReason,
  SessionBlocker,
} from './core/timeline/events.js';
export { toJson, toJsonLine, toTextLine, describe, explainRule } from './core/timeline/format.js';

// Scenarios.
export { parseScenario, loadScenario } from './scenario/load.js';
export { resolveScenario, SCENARIO_DEFAULTS } from './scenario/resolve.js';
export type { ScenarioFile } from './scenario/schema.js';

// fast-check arbitraries for your own property tests.
export {
  osVersionArb,
  instantArb,
  remainingArb,
  renewalInputArb,
  RENEWAL_BOUNDARY_OFFSETS,
  powerConfigArb,
  networkConfigArb,
  dataSenseConfigArb,
  deviceConditionsArb,
  deviceSpecArb,
  deviceSpecWith,
  pollSetArb,
  pollConfigArb,
  devicePatchArb,
  conditionTimelineArb,
  simulationSpecFor,
  EXAMPLE_PFN,
  INSTANT_MIN,
  INSTANT_MAX,
  DEFAULT_TIMELINE_SPAN,
} from './testing/arbitraries.js';
export type {
  DeviceConditions,
  DeviceSpecInput,
  ConditionChange,
  ConditionTimeline,
  ConditionTimelineOptions,
  SimulationSpecOptions,
} from './testing/arbitraries.js';

// The WNS emulator: domain, HTTP and WebSocket adapters, TLS.
export { WnsEmulator } from './wns/emulator.js';
export type { WnsEmulatorOptions, InboxItem } from './wns/emulator.js';
export { parseAppsFile } from './wns/apps-file.js';
export { AppRegistry, appProblems } from './core/wns/apps.js';
export type { WnsApp } from './core/wns/apps.js';
export { TokenService, DEFAULT_TOKEN_LIFETIME } from './core/wns/tokens.js';
export type { TokenSource, TokenCheck } from './core/wns/tokens.js';
export { WnsService, MAX_RAW_BYTES } from './core/wns/wns-service.js';
export type {
  WnsResponse,
  NotifyRequest,
  Fault,
  MisusePolicy,
  WnsServiceOptions,
} from './core/wns/wns-service.js';
export { DEFAULT_THROTTLE } from './core/wns/throttle.js';
export type { RateLimit } from './core/wns/throttle.js';
export type { JournalEntry, JournalFilter } from './core/wns/journal.js';
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
export { ensureCertificates, DEFAULT_TLS_NAMES } from './adapters/tls/certificates.js';
export type { TlsMaterial } from './adapters/tls/certificates.js';

// Errors.
export {
  DmpushError,
  ValidationError,
  ClockLoopLimitError,
  NotModelledError,
} from './core/errors.js';
