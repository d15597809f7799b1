/**
 * Durable state of a live fleet (`dmpush serve --state FILE`): what is saved, and how it is read
 * back and checked. See docs/decisions/0007-durable-state.md.
 *
 * The parts keep their records in the {@link SqliteStateStore} (the state port of the core), which
 * writes what they change; this module reads a saved fleet back. What is saved:
 * - meta `fleet`: what the fleet was made from (seed, scenario, size, PFN, clock) and its start;
 *   a restart with other options is refused, naming the difference;
 * - meta `ports`: the ports the servers listened on (a restart with port 0 takes them again, so
 *   channel URIs stay valid);
 * - meta `simulation`: the clock's instant and next timer rank, the scenario's pending actions;
 * - meta `wns`: the emulator's blocks, availability, id streams and faults;
 * - rows `wns-app` (by PFN) and `wns-token` (by token): the emulator's apps and access tokens;
 * - rows `wns-credential` (by device id): the SHA-256 of each device's first-use credential on
 *   the WNS link (decision 0011), never the credential;
 * - rows `device`: each device's state (conditions, channel, Push/Status, timers with their ranks,
 *   poll cursor, random stream, the channel request or session in progress, its DM tree's
 *   stored nodes);
 * - rows `wns`: what WNS keeps per device (channels, the cached notification and its TTL timer;
 *   for an inbox device, its newest deliveries);
 * - rows `mdm`: what the reference MDM server knows per device (ChannelURI, PFN confirmed…);
 * - the timeline and the emulator's journal, appended.
 *
 * When: see {@link SqliteStateStore}: once per turn of the event loop, and before any HTTP answer
 * and any SyncML message that answers a server's commands, so what a peer was told is on disk
 * first.
 *
 * @module
 */
import { z } from 'zod';
import type { SimulationSnapshot } from '../../core/snapshot.js';
import {
  randomStateSchema,
  wnsCloudGlobalsSchema,
  wnsDevicePartSchema,
} from '../../core/snapshot-schema.js';
import type { TimelineEvent } from '../../core/timeline/events.js';
import { formatIssues } from '../../core/validation.js';
import type { JournalEntry } from '../../core/wns/journal.js';
import type { MdmDeviceRecord } from '../../mdm-server/reference-mdm.js';
import type { EnrollmentRecord } from '../../mdm-server/enrollment/registry.js';
import { readSavedEnrollments } from '../mdm-server/saved-enrollments.js';
import type { WnsEmulatorDevice, WnsEmulatorGlobals } from '../../wns/emulator.js';
import type { SqliteStateStore } from './sqlite-state-store.js';
import { StateFileError } from './state-store.js';

/** What a fleet is made from: a state file is only restored by a fleet made the same way. */
export interface FleetIdentity {
  readonly seed: number;
  /** The scenario file as given, or `built-in`. */
  readonly scenario: string;
  /** SHA-256 of the scenario's text. */
  readonly scenarioSha256: string;
  readonly devices: number;
  /** `--pfn`, or null. */
  readonly pfn: string | null;
  /** `--provider-id`, or null. */
  readonly providerId: string | null;
  /**
   * How devices enroll: `reference` (the reference server's enrollment), the discovery URL of
   * `--enroll-url`, or null (managed without enrollment).
   */
  readonly enrollment: string | null;
  readonly clock: 'system' | 'virtual';
}

/** The ports a fleet's servers listened on (the reference MDM server's does not matter). */
interface FleetPorts {
  readonly control: number;
  readonly wns: number;
  /**
   * The reference MDM server's (absent in files written before enrollment): enrolled devices
   * hold its URL (the provisioning document's ADDR), so a restart takes it again.
   */
  readonly mdm?: number;
}

/** Events a restart reads back: what the live event log holds (`GET /api/events`). */
export const EVENT_LOG_CAPACITY = 100_000;

/** A saved fleet, read back and checked (see {@link readSavedFleet}). */
export interface SavedFleet {
  /** When the fleet first started (scenario times count from it), epoch ms. */
  readonly start: number;
  readonly ports: FleetPorts | null;
  /** The simulation's state, for `Simulation.restore` (which checks it); null before the first save. */
  readonly simulation: SimulationSnapshot | null;
  readonly emulator: {
    readonly globals: WnsEmulatorGlobals;
    readonly devices: readonly WnsEmulatorDevice[];
    readonly journal: readonly JournalEntry[];
  } | null;
  readonly mdm: readonly MdmDeviceRecord[];
  /** The reference server's enrollment records (table `mdm-enrollment`). */
  readonly mdmEnrollments: readonly EnrollmentRecord[];
  /** The newest events, oldest first. */
  readonly events: readonly TimelineEvent[];
}

// ---- schemas of what is read back (the file may have been edited or damaged) ----------------------

const int = z.number().int();

const appSchema = z
  .object({
    pfn: z.string(),
    sid: z.string(),
    secret: z.string(),
    entraAppId: z.string().optional(),
    tenant: z.string().optional(),
  })
  .strict();

const tokenSchema = z.object({ pfn: z.string(), expiresAt: z.number() }).strict();

const credentialSchema = z
  .object({ hash: z.string().regex(/^[0-9a-f]{64}$/), issuedAt: z.number() })
  .strict();

const documentSchema = z
  .object({
    cloud: wnsCloudGlobalsSchema,
    service: z
      .object({
        random: randomStateSchema,
        faultRandom: randomStateSchema,
        faults: z.array(
          z
            .object({
              op: z.enum(['token', 'notify', 'connect']),
              action: z.union([
                z.object({ status: int }).strict(),
                z.object({ drop: z.literal(true) }).strict(),
                z.object({ delayMs: z.number().nonnegative() }).strict(),
              ]),
              probability: z.number().min(0).max(1),
            })
            .strict(),
        ),
        traces: int.nonnegative(),
      })
      .strict(),
    tokenService: z
      .object({ key: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

/** A WNS row: the emulator's part for one device (the core's shape), and its inbox, if any. */
const wnsDeviceSchema = z
  .object({
    wns: wnsDevicePartSchema,
    inbox: z
      .object({
        items: z.array(
          z
            .object({ receivedAt: z.number(), channelUri: z.string(), bodyBase64: z.string() })
            .strict(),
        ),
        delivered: int.nonnegative(),
      })
      .strict()
      .nullable(),
  })
  .strict();

const journalSchema = z
  .object({
    seq: int.positive(),
    time: z.number(),
    op: z.enum(['token', 'notify', 'channel', 'connect', 'disconnect', 'admin']),
    status: int,
  })
  .loose();

const mdmSchema = z
  .object({
    deviceId: z.string(),
    channelUri: z.string().nullable(),
    pushStatus: int.nullable(),
    pfnSet: z.boolean(),
    sessions: int.nonnegative(),
    lastSessionAt: z.number(),
  })
  .strict();

const eventSchema = z
  .object({ time: z.number(), device: z.string().nullable(), type: z.string() })
  .loose();

const identitySchema = z
  .object({
    seed: z.number(),
    scenario: z.string(),
    scenarioSha256: z.string(),
    devices: int,
    pfn: z.string().nullable(),
    // Absent in files written before `--provider-id`: their fleets had none.
    providerId: z.string().nullable().default(null),
    // Absent in files written before enrollment: their devices did not enroll.
    enrollment: z.string().nullable().default(null),
    clock: z.enum(['system', 'virtual']),
    start: z.number(),
  })
  .strict();

const portsSchema = z.object({ control: int, wns: int, mdm: int.optional() }).strict();

/** Parses one stored JSON text with `schema`; a problem names the file and where it is. */
function parseStored<T>(file: string, where: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StateFileError(`${file}: ${where} is not JSON: the state file is damaged`);
  }
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success)
    throw new StateFileError(
      `${file}: ${where} is not valid:\n${formatIssues(result.error)
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );
  return result.data;
}

/** What must match (the scenario is compared by content: its path may be written another way). */
const IDENTITY_FIELDS: readonly (keyof FleetIdentity)[] = [
  'seed',
  'scenarioSha256',
  'devices',
  'pfn',
  'providerId',
  'enrollment',
  'clock',
];

/**
 * Reads what `store` holds for a fleet made as `identity`: null for a new (empty) state file.
 * Throws {@link StateFileError} when the file holds another fleet (naming each difference) or
 * damaged data (naming where).
 */
export function readSavedFleet(
  store: SqliteStateStore,
  identity: FleetIdentity,
  limits: { readonly events: number } = { events: EVENT_LOG_CAPACITY },
): SavedFleet | null {
  const file = store.path;
  const saved = store.read(limits);
  const fleetText = saved.meta.get('fleet');
  if (fleetText === undefined) return null;
  const fleet = parseStored(file, 'meta "fleet"', fleetText, identitySchema);
  const differences = IDENTITY_FIELDS.filter((k) => fleet[k] !== identity[k]).map((k) =>
    k === 'scenarioSha256'
      ? `scenario ${fleet.scenario} (now ${identity.scenario}, ${fleet.scenario === identity.scenario ? 'changed since' : 'another file'})`
      : `${k} ${JSON.stringify(fleet[k])} (now ${JSON.stringify(identity[k])})`,
  );
  if (differences.length > 0)
    throw new StateFileError(
      `${file} holds a fleet made differently: ${differences.join(', ')}. Start with the same ` +
        'options to go on with it, or use another --state file (or delete this one, or --memory)',
    );
  const rows = (kind: string): ReadonlyMap<string, string> => saved.rows.get(kind) ?? new Map();
  const portsText = saved.meta.get('ports');
  const simText = saved.meta.get('simulation');
  let simulation: SimulationSnapshot | null = null;
  if (simText !== undefined) {
    // Checked in full by Simulation.restore (against the spec); here only assembled.
    const globals = parseStored(
      file,
      'meta "simulation"',
      simText,
      z.record(z.string(), z.unknown()),
    );
    const devices = [...rows('device')].map(([id, text]) =>
      parseStored(file, `device ${id}`, text, z.record(z.string(), z.unknown())),
    );
    simulation = { ...globals, devices } as unknown as SimulationSnapshot;
  }
  const wnsText = saved.meta.get('wns');
  if (simText !== undefined && wnsText === undefined)
    throw new StateFileError(
      `${file}: the devices are saved but not the WNS emulator: the file is damaged`,
    );
  return {
    start: fleet.start,
    ports:
      portsText === undefined ? null : parseStored(file, 'meta "ports"', portsText, portsSchema),
    simulation,
    emulator:
      wnsText === undefined
        ? null
        : {
            globals: {
              ...parseStored(file, 'meta "wns"', wnsText, documentSchema),
              apps: [...rows('wns-app')].map(([pfn, text]) =>
                parseStored(file, `WNS app ${pfn}`, text, appSchema),
              ),
              tokens: [...rows('wns-token')].map(([token, text]) => ({
                token,
                ...parseStored(file, 'a WNS access token', text, tokenSchema),
              })),
              credentials: [...rows('wns-credential')].map(([deviceId, text]) => ({
                deviceId,
                ...parseStored(file, `the WNS credential of ${deviceId}`, text, credentialSchema),
              })),
            },
            devices: [...rows('wns')].map(([id, text]) =>
              parseStored(file, `WNS state of ${id}`, text, wnsDeviceSchema),
            ),
            journal: saved.journal.map(
              (text, i) =>
                parseStored(file, `journal entry ${i + 1}`, text, journalSchema) as JournalEntry,
            ),
          },
    mdm: [...rows('mdm')].map(([id, text]) =>
      parseStored(file, `MDM record of ${id}`, text, mdmSchema),
    ),
    mdmEnrollments: readSavedEnrollments(file, saved),
    events: saved.events.map(
      (text, i) => parseStored(file, `event ${i + 1}`, text, eventSchema) as TimelineEvent,
    ),
  };
}

/**
 * The saved simulation with its devices in spec order (rows come back sorted by id), as
 * `Simulation.restore` wants them. Throws {@link StateFileError} for a device with no saved state.
 */
export function inSpecOrder(
  file: string,
  snapshot: SimulationSnapshot,
  deviceIds: readonly string[],
): SimulationSnapshot {
  const byId = new Map(snapshot.devices.map((d) => [d.id, d]));
  return {
    ...snapshot,
    devices: deviceIds.map((id) => {
      const d = byId.get(id);
      if (!d)
        throw new StateFileError(`${file}: no saved state for device ${id}: the file is damaged`);
      return d;
    }),
  };
}
