/**
 * dmpush: the pure core. Renewal and poll rules, clocks and seeded randomness, devices and the
 * simulation, the WNS cloud, the SyncML codec and DM tree, scenarios, the timeline and errors.
 * Everything here runs on either clock and loads no Node I/O module, so it is safe to import
 * anywhere (a browser included). The servers and adapters are in `dmpush/node`, the fast-check
 * arbitraries in `dmpush/testing`. See the README for examples.
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
// Windows versions (OS profiles): build, CSP nodes, retry logic, enrollment RequestVersion.
export {
  OS_NAMES,
  OS_ALIASES,
  NODES_SINCE,
  osProfile,
  osNameOf,
  osLabel,
  isOsName,
  allOsProfiles,
  osProfileForBuild,
  hasNode,
} from './core/os/os-profiles.js';
export type { OsName, OsProfile, RetryLogic } from './core/os/os-profiles.js';
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

// Time and randomness (the system clock uses only the timers every JavaScript runtime has).
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

// Devices, the fleet, the in-process WNS cloud and MDM server, and the ports between them.
export { SimDevice } from './core/device/device.js';
export type { DeviceContext, DeviceSnapshot } from './core/device/device.js';
export type { DeviceSpec, DevicePatch, WnsPushService } from './core/device/conditions.js';
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
export { cacheExpiry, DEFAULT_CACHE_MAX_AGE_MS } from './core/wns/cache-age.js';
export type { CacheExpiry } from './core/wns/cache-age.js';
export { InMemoryMdm } from './core/mdm/in-memory-mdm.js';
export type { InMemoryMdmOptions } from './core/mdm/in-memory-mdm.js';
export type {
  WnsLink,
  LinkHandlers,
  IncomingPush,
  ChannelGrant,
  RevokeResult,
  MdmTransport,
  SessionRequest,
  SessionResult,
  PushNodes,
} from './core/ports.js';

// The WNS cloud: apps, tokens, the notify service, throttling and the journal.
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
  RevokeFailure,
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

// OMA-DM: the SyncML codec, the DM tree and the device's client session.
export { parseSyncML, serializeSyncML, SyncMLError } from './core/syncml/codec.js';
export type { SyncMLLimits } from './core/syncml/codec.js';
export { SYNCML_CONTENT_TYPE } from './core/syncml/message.js';
export type {
  SyncMLMessage,
  SyncHdr,
  Command,
  Item,
  Meta,
  NodeCommand,
  StatusCommand,
  ResultsCommand,
} from './core/syncml/message.js';
export { DmTree, DmStatus, normalizeUri } from './core/dm/dm-tree.js';
export type { NodeSpec, NodeFormat, AccessType, CommandOutcome } from './core/dm/dm-tree.js';
export { windowsTree, defaultIdentity, hardwareDeviceId } from './core/dm/windows-tree.js';
export { DISALLOW_CLOUD_NOTIFICATION } from './core/dm/policy-nodes.js';
export type { DeviceIdentity, WindowsTreeBindings } from './core/dm/windows-tree.js';
export { ClientSession } from './core/dm/client-session.js';
export type { ClientSessionOptions, SessionStep } from './core/dm/client-session.js';
export type {
  AccountCredential,
  AuthScheme,
  ClientIdentity,
  DmAccount,
} from './core/dm/dm-account.js';
export { readAccount } from './core/dm/account-reader.js';

// Enrollment (MS-MDE2): the provisioning document, applying it to a DM tree, the device's port.
export { parseProvisioningDoc, serializeProvisioningDoc } from './core/enroll/provisioning-doc.js';
export type { ProvisioningDoc, WapCharacteristic, WapParm } from './core/enroll/wap-doc.js';
export { applyProvisioning, ProvisioningApplyError } from './core/dm/provisioning-apply.js';
export type { AppliedProvisioning } from './core/dm/provisioning-apply.js';
export { ENROLL_RETRY_MS } from './core/device/device-enrollment.js';
export type {
  Discovered,
  EnrollmentRecord,
  EnrollmentService,
  EnrollmentView,
  EnrollOutcome,
  EnrollRequest,
  IssuedCertificate,
} from './core/enroll/enrollment.js';
export type { EnrollDeviceProfile, EnrollmentType } from './core/enroll/device-profile.js';
export type { EnrollmentPolicy, PolicyHash } from './core/enroll/policy.js';

// The event log of a live fleet (newest events kept, queried by device, type and time).
export { EventLog } from './core/timeline/event-log.js';
export type { EventQuery } from './core/timeline/event-log.js';
export { Ring } from './core/util/ring.js';

// Snapshots: a virtual-time simulation saved as plain data and restored exactly.
export { SNAPSHOT_VERSION, parseSnapshot } from './core/snapshot.js';
export type { SimulationSnapshot } from './core/snapshot.js';

// Reports: the timeline model (lanes, items and texts; the HTML report is in dmpush/node).
export { buildTimelineModel } from './report/timeline-model.js';

// Errors.
export { DmpushError, ValidationError, ClockLoopLimitError } from './core/errors.js';
