/**
 * The saved shapes of a simulation (see {@link SimulationSnapshot}) and their zod schemas: one
 * schema per shape, each next to its type and checked against it. Saved state is read back from
 * files that may have been edited or damaged, so everything read back goes through these schemas;
 * `dmpush serve --state` reuses the shapes it shares (channel, WNS device, timer, random state).
 *
 * The schemas check shapes only. What a snapshot must agree with (the spec's seed, device ids and
 * actions; timer ranks and instants) is a refinement added by {@link snapshotSchemaFor}.
 *
 * @module
 */
import { z } from 'zod';
import type { PollConfig, PollCursor } from './dmclient/poll-schedule.js';
import type { PushStatus } from './dmclient/push-status.js';
import { OS_VERSIONS, type RenewalDecision } from './dmclient/renewal-policy.js';
import type { DataSenseState } from './device/data-sense.js';
import type { NetworkConfig } from './device/network.js';
import type { PowerState } from './device/power.js';
import type { RoutineCursor, Screen } from './device/routine.js';
import type { HeldPush, WnsPriority } from './device/wns-priority.js';
import type { DmTreeState } from './dm/dm-tree.js';
import type { EnrollmentRecord } from './enroll/enrollment.js';
import type { ChannelRequestReason, SessionTrigger } from './timeline/events.js';
import { show } from './validation.js';

/** The snapshot format version this build writes and reads. */
export const SNAPSHOT_VERSION = 2;

// ---- leaves ---------------------------------------------------------------------------------------

/** A safe integer from 0. */
const count = z
  .int()
  .min(0, { error: (iss) => `expected an integer from 0, got ${show(iss.input)}` });

/** One of fixed values (`expected one of "a", "b", got …`). */
function oneOf<const T extends readonly (string | number)[]>(values: T) {
  const form = values.map((v) => JSON.stringify(v)).join(', ');
  return z.literal(values, { error: (iss) => `expected one of ${form}, got ${show(iss.input)}` });
}

/** One word of a generator state: a 32-bit integer, signed or not. */
const word = z
  .int()
  .min(-0x80000000, { error: (iss) => `expected a 32-bit integer, got ${show(iss.input)}` })
  .max(0xffffffff, { error: (iss) => `expected a 32-bit integer, got ${show(iss.input)}` });

/** A random stream's generator state (xoroshiro128+: 4 words). */
export const randomStateSchema = z.array(word).length(4, {
  error: (iss) =>
    `expected a generator state (4 integers), got ${Array.isArray(iss.input) ? `a list of ${iss.input.length}` : show(iss.input)}`,
});

// ---- timers ---------------------------------------------------------------------------------------

/** A pending timer: when it is due, and its rank among all pending timers (clock insertion order). */
export interface TimerSnapshot {
  /** Due instant, epoch ms. */
  readonly at: number;
  /** Insertion rank on the clock: among timers due at the same instant, the lower runs first. */
  readonly seq: number;
}

const timerSchema = z.strictObject({
  at: z.number(),
  seq: count,
}) satisfies z.ZodType<TimerSnapshot>;

// ---- a device -------------------------------------------------------------------------------------

/** The state of one {@link SimDevice} (its conditions, DMClient state, pending timers, stream). */
export interface DeviceState {
  readonly id: string;
  readonly power: PowerState;
  readonly network: NetworkConfig;
  readonly dataSense: DataSenseState;
  readonly poll: PollConfig;
  readonly saverOn: boolean;
  readonly limitReached: boolean;
  /** The push routing service: present only when `disabled` (absent reads as `running`). */
  readonly wnsPushService?: 'running' | 'disabled';
  /** The screen (absent in older snapshots: on). */
  readonly screen?: Screen;
  /** Off: an empty battery, not charging (absent in older snapshots: false). */
  readonly poweredOff?: boolean;
  /** Pushes the notification platform holds (absent in older snapshots: none). */
  readonly held?: readonly HeldPush[];
  /** The daily routine's next step, or null (absent in older snapshots: none). */
  readonly routineCursor?: RoutineCursor | null;
  /** A poll Battery Saver delays (absent in older snapshots: none). */
  readonly pollDelayed?: boolean;
  readonly pfn: string | null;
  readonly channel: { readonly uri: string; readonly expiresAt: number } | null;
  readonly failureStatus: PushStatus | null;
  readonly pushWithoutSession: boolean;
  readonly status: PushStatus;
  readonly link: 'down' | 'connecting' | 'up';
  readonly requestGeneration: number;
  /** The reason of a channel request waiting for WNS's answer (live links only). */
  readonly pendingRequest: ChannelRequestReason | null;
  /** PFNs whose channels are still to be revoked (absent: none). */
  readonly revocations?: readonly string[];
  /** What its DM tree stores beyond its definition; null when the tree was never built. */
  readonly tree: DmTreeState | null;
  readonly renewal: RenewalDecision | null;
  readonly pollCursor: PollCursor;
  readonly sessionRunning: SessionTrigger | null;
  readonly sessionQueued: SessionTrigger | null;
  readonly sessionGeneration: number;
  /** The device's enrollment, or null. */
  readonly enrollment: EnrollmentRecord | null;
  /** True while an enrollment attempt was running (a restore starts it over). */
  readonly enrolling: boolean;
  /** Pending timers by role. */
  readonly timers: {
    readonly renewal: TimerSnapshot | null;
    readonly expiry: TimerSnapshot | null;
    readonly power: TimerSnapshot | null;
    readonly limit: TimerSnapshot | null;
    readonly reset: TimerSnapshot | null;
    readonly poll: TimerSnapshot | null;
    /** The next enrollment attempt after a failed one. */
    readonly enroll: TimerSnapshot | null;
    /** The daily routine's next step (absent in older snapshots). */
    readonly routine?: TimerSnapshot | null;
    /** The earliest deadline of a held push (absent in older snapshots). */
    readonly hold?: TimerSnapshot | null;
  };
  /** Its `device:<id>` stream (a generator state). */
  readonly random: readonly number[];
}

const pushStatus = oneOf([0, 1, 2, 3, 4, 5, 6, 7, 8] as const satisfies readonly PushStatus[]);
const trigger = oneOf([
  'push',
  'renewal',
  'poll',
  'provisioned',
  'enrolled',
  'unenroll',
] as const satisfies readonly SessionTrigger[]);

const enrollmentSchema = z.strictObject({
  providerId: z.string().min(1),
  managementUrl: z.string().min(1),
  certificateThumbprint: z.string(),
  certificateSubject: z.string(),
  certificateNotAfter: z.number(),
  enrolledAt: z.number(),
  authType: oneOf(['OnPremise', 'Federated'] as const),
  identity: z.strictObject({
    certificatePem: z.string(),
    keyPem: z.string(),
    trustedCaPems: z.array(z.string()),
  }),
}) satisfies z.ZodType<EnrollmentRecord>;

const powerSchema = z.strictObject({
  level: z.number(),
  charging: z.boolean(),
  drainPerHour: z.number(),
  chargePerHour: z.number(),
  saverThreshold: z.number(),
  saverSwitch: z.boolean(),
  pushAllowedInSaver: z.boolean(),
  since: z.number(),
}) satisfies z.ZodType<PowerState>;

const networkSchema = z.strictObject({
  connected: z.boolean(),
  internet: z.boolean(),
  metered: z.boolean(),
  type: oneOf(['wifi', 'cellular', 'ethernet']),
  wnsReachable: z.boolean(),
}) satisfies z.ZodType<NetworkConfig>;

const dataSenseSchema = z.strictObject({
  limitMB: z.number().nullable(),
  usedMB: z.number(),
  backgroundMBPerHour: z.number(),
  resetDay: z.int(),
  perSessionMB: z.number(),
  perPushMB: z.number(),
  since: z.number(),
  accruing: z.boolean(),
}) satisfies z.ZodType<DataSenseState>;

const pollSetSchema = z.strictObject({ intervalMinutes: z.number(), count: z.number() });

const pollSchema = z.strictObject({
  first: pollSetSchema,
  second: pollSetSchema,
  remaining: pollSetSchema,
  maintenanceTime: z.string(),
}) satisfies z.ZodType<PollConfig>;

const treeSchema = z.array(
  z.strictObject({ uri: z.string(), present: z.boolean(), value: z.string() }),
) satisfies z.ZodType<DmTreeState>;

const renewalSchema = z.strictObject({
  os: oneOf(OS_VERSIONS),
  rule: oneOf(['fifteen-day-mark', 'within-fifteen-days', 'expired', 'no-network']),
  at: z.number(),
  earliest: z.number(),
  latest: z.number(),
}) satisfies z.ZodType<RenewalDecision>;

/** A device's state; problems are listed in this order (its conditions first, its stream last). */
const deviceStateSchema = z.strictObject({
  id: z.string(),
  power: powerSchema,
  network: networkSchema,
  dataSense: dataSenseSchema,
  poll: pollSchema,
  saverOn: z.boolean(),
  limitReached: z.boolean(),
  wnsPushService: oneOf(['running', 'disabled']).optional(),
  screen: oneOf(['on', 'off'] as const).optional(),
  poweredOff: z.boolean().optional(),
  held: z
    .array(
      z.strictObject({
        msgId: z.string(),
        channelUri: z.string(),
        priority: oneOf([1, 2, 3, 4] as const),
        cached: z.boolean(),
        heldAt: z.number(),
        expiresAt: z.number().nullable(),
      }),
    )
    .optional(),
  routineCursor: z.strictObject({ index: z.int(), nominal: z.number() }).nullable().optional(),
  pollDelayed: z.boolean().optional(),
  pfn: z.string().nullable(),
  channel: z.strictObject({ uri: z.string(), expiresAt: z.number() }).nullable(),
  failureStatus: pushStatus.nullable(),
  pushWithoutSession: z.boolean(),
  status: pushStatus,
  link: oneOf(['down', 'connecting', 'up']),
  requestGeneration: z.int(),
  pendingRequest: oneOf([
    'provisioned',
    'renewal',
    'boot',
  ] as const satisfies readonly ChannelRequestReason[]).nullable(),
  revocations: z.array(z.string()).optional(),
  tree: treeSchema.nullable(),
  renewal: renewalSchema.nullable(),
  pollCursor: z.strictObject({ phase: z.int(), done: z.int() }) satisfies z.ZodType<PollCursor>,
  sessionRunning: trigger.nullable(),
  sessionQueued: trigger.nullable(),
  sessionGeneration: z.int(),
  enrollment: enrollmentSchema.nullable(),
  enrolling: z.boolean(),
  timers: z.strictObject({
    renewal: timerSchema.nullable(),
    expiry: timerSchema.nullable(),
    power: timerSchema.nullable(),
    limit: timerSchema.nullable(),
    reset: timerSchema.nullable(),
    poll: timerSchema.nullable(),
    enroll: timerSchema.nullable(),
    routine: timerSchema.nullable().optional(),
    hold: timerSchema.nullable().optional(),
  }),
  random: randomStateSchema,
}) satisfies z.ZodType<DeviceState>;

// ---- WNS ------------------------------------------------------------------------------------------

/** A notification WNS holds for an offline device. */
interface CachedState {
  readonly msgId: string;
  readonly expiresAt: number | null;
  /** Dropped at `expiresAt` for the cache's maximum age, not its TTL (absent: TTL). */
  readonly expiry?: 'cache-expired';
  readonly bodyBase64: string | null;
  /** Its `X-WNS-PRIORITY`, when the sender set one. */
  readonly priority?: WnsPriority;
  /** Its TTL timer (role `cache-ttl:<channel>`), if pending. */
  readonly timer: TimerSnapshot | null;
}

/** A channel WNS issued (expired ones included). */
export interface ChannelState {
  readonly token: string;
  readonly uri: string;
  readonly deviceId: string;
  readonly pfn: string;
  readonly expiresAt: number;
  /** Revoked by its device (absent: not revoked; state saved before revocation existed). */
  readonly revoked?: true;
  readonly cached: CachedState | null;
}

const channelStateSchema = z.strictObject({
  token: z.string(),
  uri: z.string(),
  deviceId: z.string(),
  pfn: z.string(),
  expiresAt: z.number(),
  revoked: z.literal(true).optional(),
  cached: z
    .strictObject({
      msgId: z.string(),
      expiresAt: z.number().nullable(),
      expiry: z.literal('cache-expired').optional(),
      bodyBase64: z.string().nullable(),
      priority: oneOf([1, 2, 3, 4] as const).optional(),
      timer: timerSchema.nullable(),
    })
    .nullable(),
}) satisfies z.ZodType<ChannelState>;

/** What WNS keeps per device. */
interface WnsDeviceState {
  readonly id: string;
  /** Its `wns:<id>` stream (a generator state). */
  readonly random: readonly number[];
  /** Tokens of its channels, oldest first. */
  readonly channels: readonly string[];
  /** The persistent connection is open. */
  readonly connected: boolean;
  /** Asked to connect during an outage: connects when WNS is back. */
  readonly waiting: boolean;
  readonly messages: number;
}

const wnsDeviceStateSchema = z.strictObject({
  id: z.string(),
  random: randomStateSchema,
  channels: z.array(z.string()),
  connected: z.boolean(),
  waiting: z.boolean(),
  messages: count,
}) satisfies z.ZodType<WnsDeviceState>;

/** A check that every channel token a WNS device lists is the token of one of `channels`. */
function tokensOf(
  devices: readonly WnsDeviceState[],
  channels: readonly ChannelState[],
  ctx: z.RefinementCtx,
  where: (device: number) => PropertyKey[],
  expected: string,
): void {
  const tokens = new Set(channels.map((c) => c.token));
  devices.forEach((d, i) =>
    d.channels.forEach((token, j) => {
      if (!tokens.has(token))
        ctx.addIssue({
          code: 'custom',
          path: [...where(i), 'channels', j],
          message: `expected ${expected}, got ${show(token)}`,
        });
    }),
  );
}

/** What WNS keeps for one device: its entry and its channels (a row of durable state). */
export interface WnsDevicePart {
  readonly device: WnsDeviceState;
  readonly channels: readonly ChannelState[];
}

export const wnsDevicePartSchema = z
  .strictObject({ device: wnsDeviceStateSchema, channels: z.array(channelStateSchema) })
  .superRefine((p, ctx) =>
    tokensOf([p.device], p.channels, ctx, () => ['device'], 'the token of one of its channels'),
  ) satisfies z.ZodType<WnsDevicePart>;

/** The state of the in-process {@link WnsCloud}. */
export interface WnsCloudState {
  readonly baseUrl: string;
  readonly available: boolean;
  readonly blocked: readonly string[];
  readonly channels: readonly ChannelState[];
  readonly devices: readonly WnsDeviceState[];
}

/** The cloud's own fields (what a live emulator saves apart from its devices). */
export const wnsCloudGlobalsSchema = z.strictObject({
  baseUrl: z.string(),
  available: z.boolean(),
  blocked: z.array(z.string()),
}) satisfies z.ZodType<Pick<WnsCloudState, 'baseUrl' | 'available' | 'blocked'>>;

const wnsCloudStateSchema = z
  .strictObject({
    ...wnsCloudGlobalsSchema.shape,
    channels: z.array(channelStateSchema),
    devices: z.array(wnsDeviceStateSchema),
  })
  .superRefine((s, ctx) =>
    tokensOf(s.devices, s.channels, ctx, (i) => ['devices', i], 'the token of a saved channel'),
  ) satisfies z.ZodType<WnsCloudState>;

// ---- MDM, actions, the whole simulation -----------------------------------------------------------

/** The state of the {@link InMemoryMdm}. */
export interface InMemoryMdmState {
  /** The ChannelURI the server holds per device. */
  readonly known: readonly { readonly device: string; readonly channelUri: string }[];
  /** Pending session ends (role `session-end`), at most one per device: its latest session. */
  readonly sessionEnds: readonly { readonly device: string; readonly timer: TimerSnapshot }[];
}

const inMemoryMdmStateSchema = z.strictObject({
  known: z.array(z.strictObject({ device: z.string(), channelUri: z.string() })),
  sessionEnds: z.array(z.strictObject({ device: z.string(), timer: timerSchema })),
}) satisfies z.ZodType<InMemoryMdmState>;

/** A pending occurrence of the spec's `actions[index]` (role `action:<index>:<at>`). */
interface ActionTimerState {
  readonly index: number;
  readonly timer: TimerSnapshot;
}

const actionTimerSchema = z.strictObject({
  index: count,
  timer: timerSchema,
}) satisfies z.ZodType<ActionTimerState>;

/**
 * A whole simulation at one instant of its virtual clock: plain data (`JSON.stringify` keeps it
 * whole). Restore it with `Simulation.restore(spec, snapshot, sink)` and the same spec.
 */
export interface SimulationSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  /** The spec's seed (a check that the snapshot is restored with its spec). */
  readonly seed: number;
  /** The clock's instant. */
  readonly now: number;
  /** The clock's next insertion rank (above every pending timer's `seq`). */
  readonly nextSeq: number;
  /** Whether the devices were started (and the actions scheduled). */
  readonly started: boolean;
  readonly actions: readonly ActionTimerState[];
  /** One per spec device, in spec order. */
  readonly devices: readonly DeviceState[];
  /** The in-process WNS cloud; null when the simulation ran on live ports (they save their own). */
  readonly wns: WnsCloudState | null;
  /** The in-process MDM server; null when the simulation ran on a live one. */
  readonly mdm: InMemoryMdmState | null;
}

const version = z.literal(SNAPSHOT_VERSION, {
  error: (iss) => `expected ${SNAPSHOT_VERSION}, got ${show(iss.input)}`,
});

/**
 * The version of saved data, checked first: data of another version is reported as such, not as
 * a list of the fields that differ.
 */
export const snapshotVersionSchema = z.looseObject({ version });

/** A {@link SimulationSnapshot}'s shape (what it must agree with: {@link snapshotSchemaFor}). */
const snapshotSchema = z.strictObject({
  version,
  seed: z.number(),
  now: z.number(),
  nextSeq: count,
  started: z.boolean(),
  actions: z.array(actionTimerSchema),
  devices: z.array(deviceStateSchema),
  wns: wnsCloudStateSchema.nullable(),
  mdm: inMemoryMdmStateSchema.nullable(),
}) satisfies z.ZodType<SimulationSnapshot>;

// ---- what a snapshot must agree with --------------------------------------------------------------

/** Identity facts a snapshot is checked against: the spec's seed, device ids and action count. */
export interface SnapshotContext {
  readonly seed: number;
  readonly deviceIds: readonly string[];
  readonly actionCount: number;
  /**
   * Timers may be due before `now` (a live clock's late timers, or parts saved at different
   * instants): they run as soon as the restore re-arms them.
   */
  readonly overdue?: boolean;
}

/**
 * {@link snapshotSchema} with the checks against `context`: the spec's seed, its device ids in
 * spec order (and in the WNS and MDM parts), action indexes below the action count, and every
 * pending timer with a rank of its own below `nextSeq`, not before `now` unless
 * `context.overdue`.
 */
export function snapshotSchemaFor(context: SnapshotContext) {
  return snapshotSchema.superRefine((s, ctx) => {
    checkIdentity(s, context, ctx);
    checkTimers(s, context, ctx);
  });
}

/** The seed, device ids and action indexes of `s` are those of the spec. */
function checkIdentity(s: SimulationSnapshot, context: SnapshotContext, ctx: z.RefinementCtx) {
  const issue = (path: PropertyKey[], message: string): void =>
    ctx.addIssue({ code: 'custom', path, message });
  const { deviceIds: ids, actionCount } = context;
  if (s.seed !== context.seed)
    issue(['seed'], `expected the spec's seed ${context.seed}, got ${s.seed}`);
  const known = new Set(ids);
  const specDevice = (id: string, path: PropertyKey[]): void => {
    if (!known.has(id)) issue(path, `expected a device id of the spec, got ${show(id)}`);
  };
  s.devices.forEach((d, i) => {
    const id = ids[i];
    if (id === undefined) specDevice(d.id, ['devices', i, 'id']);
    else if (d.id !== id)
      issue(['devices', i, 'id'], `expected device ${show(id)} (spec order), got ${show(d.id)}`);
  });
  if (s.devices.length < ids.length)
    issue(
      ['devices'],
      `expected ${ids.length} devices (one per spec device), got ${s.devices.length}`,
    );
  s.actions.forEach((a, i) => {
    if (a.index >= actionCount)
      issue(
        ['actions', i, 'index'],
        `expected an action index below ${actionCount}, got ${a.index}`,
      );
  });
  s.wns?.devices.forEach((d, i) => specDevice(d.id, ['wns', 'devices', i, 'id']));
  s.wns?.channels.forEach((c, i) => specDevice(c.deviceId, ['wns', 'channels', i, 'deviceId']));
  s.mdm?.known.forEach((k, i) => specDevice(k.device, ['mdm', 'known', i, 'device']));
  s.mdm?.sessionEnds.forEach((e, i) => specDevice(e.device, ['mdm', 'sessionEnds', i, 'device']));
}

/**
 * Every pending timer has a rank of its own below `nextSeq` (a repeated one means the data was
 * edited), and is not due before `now` unless `context.overdue`.
 */
function checkTimers(s: SimulationSnapshot, context: SnapshotContext, ctx: z.RefinementCtx) {
  const seqs = new Set<number>();
  const rank = (t: TimerSnapshot | null, path: PropertyKey[]): void => {
    if (t === null) return;
    const issue = (key: string, message: string): void =>
      ctx.addIssue({ code: 'custom', path: [...path, key], message });
    if (seqs.has(t.seq)) issue('seq', `expected a rank no other timer has, got ${t.seq}`);
    else if (t.seq >= s.nextSeq)
      issue('seq', `expected a rank from 0 to below nextSeq (${s.nextSeq}), got ${t.seq}`);
    if (!context.overdue && t.at < s.now)
      issue('at', `expected an instant not before now (${s.now}), got ${t.at}`);
    seqs.add(t.seq);
  };
  s.actions.forEach((a, i) => rank(a.timer, ['actions', i, 'timer']));
  s.devices.forEach((d, i) => {
    for (const [role, t] of Object.entries(d.timers)) rank(t, ['devices', i, 'timers', role]);
  });
  s.wns?.channels.forEach((c, i) =>
    rank(c.cached?.timer ?? null, ['wns', 'channels', i, 'cached', 'timer']),
  );
  s.mdm?.sessionEnds.forEach((e, i) => rank(e.timer, ['mdm', 'sessionEnds', i, 'timer']));
}
