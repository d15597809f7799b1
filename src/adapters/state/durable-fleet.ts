/**
 * Durable state of a live fleet (`dmpush serve --state FILE`): what is saved, when, and how it is
 * read back. See docs/decisions/0007-durable-state.md.
 *
 * What is saved, in a {@link StateStore}:
 * - meta `fleet`: what the fleet was made from (seed, scenario, size, PFN, clock) and its start;
 *   a restart with other options is refused, naming the difference;
 * - meta `ports`: the ports the servers listened on (a restart with port 0 takes them again, so
 *   channel URIs stay valid);
 * - meta `simulation`: the clock's instant and next timer rank, the scenario's pending actions;
 * - meta `wns`: the emulator's apps, tokens, blocks and random streams;
 * - rows `device`: each device's state (conditions, channel, Push/Status, timers with their ranks,
 *   poll cursor, random stream, the channel request or session in progress, its DM tree's
 *   stored nodes);
 * - rows `wns`: what WNS keeps per device (channels, the cached notification and its TTL timer;
 *   for an inbox device, its newest deliveries);
 * - rows `mdm`: what the reference MDM server knows per device (ChannelURI, PFN confirmed…);
 * - the timeline and the emulator's journal, appended.
 *
 * When: every change marks its device (through the parts' `onChange` hooks); one transaction
 * writes the marked rows and new events once per turn of the event loop, and before any HTTP
 * answer is written and any SyncML message that answers a server's commands is sent, so what a
 * peer was told is on disk first.
 *
 * @module
 */
import { z } from 'zod';
import { timerSnapshots, type SimulationSnapshot } from '../../core/snapshot.js';
import { isOrdered } from '../../core/time/clock.js';
import type { Simulation } from '../../core/simulation.js';
import type { EventSink, TimelineEvent } from '../../core/timeline/events.js';
import type { JournalEntry } from '../../core/wns/journal.js';
import type { MdmDeviceRecord, ReferenceMdm } from '../../mdm-server/reference-mdm.js';
import { formatIssues } from '../../scenario/schema.js';
import type { WnsEmulator, WnsEmulatorDevice, WnsEmulatorGlobals } from '../../wns/emulator.js';
import { StateFileError, type RowChange, type StateStore } from './state-store.js';

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
  readonly clock: 'system' | 'virtual';
}

/** The ports a fleet's servers listened on (the reference MDM server's does not matter). */
export interface FleetPorts {
  readonly control: number;
  readonly wns: number;
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
  /** The newest events, oldest first. */
  readonly events: readonly TimelineEvent[];
}

// ---- schemas of what is read back (the file may have been edited or damaged) ----------------------

const int = z.number().int();
const randomState = z.array(int).length(4);
const timer = z.object({ at: z.number(), seq: int.nonnegative() }).strict();

const appSchema = z
  .object({
    pfn: z.string(),
    sid: z.string(),
    secret: z.string(),
    entraAppId: z.string().optional(),
    tenant: z.string().optional(),
  })
  .strict();

const globalsSchema = z
  .object({
    cloud: z
      .object({ baseUrl: z.string(), available: z.boolean(), blocked: z.array(z.string()) })
      .strict(),
    apps: z.array(appSchema),
    tokens: z.array(
      z.object({ token: z.string(), pfn: z.string(), expiresAt: z.number() }).strict(),
    ),
    service: z
      .object({
        random: randomState,
        faultRandom: randomState,
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
  })
  .strict();

const channelSchema = z
  .object({
    token: z.string(),
    uri: z.string(),
    deviceId: z.string(),
    pfn: z.string(),
    expiresAt: z.number(),
    cached: z
      .object({
        msgId: z.string(),
        expiresAt: z.number().nullable(),
        bodyBase64: z.string().nullable(),
        timer: timer.nullable(),
      })
      .strict()
      .nullable(),
  })
  .strict();

const wnsDeviceSchema = z
  .object({
    wns: z
      .object({
        device: z
          .object({
            id: z.string(),
            random: randomState,
            channels: z.array(z.string()),
            connected: z.boolean(),
            waiting: z.boolean(),
            messages: int.nonnegative(),
          })
          .strict(),
        channels: z.array(channelSchema),
      })
      .strict(),
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
  .strict()
  .superRefine((d, ctx) => {
    const tokens = new Set(d.wns.channels.map((c) => c.token));
    d.wns.device.channels.forEach((t, i) => {
      if (!tokens.has(t))
        ctx.addIssue({
          code: 'custom',
          path: ['wns', 'device', 'channels', i],
          message: 'expected the token of one of its channels',
        });
    });
  });

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
    clock: z.enum(['system', 'virtual']),
    start: z.number(),
  })
  .strict();

const portsSchema = z.object({ control: int, wns: int }).strict();

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
  'clock',
];

/**
 * Reads what `store` holds for a fleet made as `identity`: null for a new (empty) state file.
 * Throws {@link StateFileError} when the file holds another fleet (naming each difference) or
 * damaged data (naming where).
 */
export function readSavedFleet(
  store: StateStore,
  identity: FleetIdentity,
  limits: { readonly events: number } = { events: EVENT_LOG_CAPACITY },
): SavedFleet | null {
  const file = store.file;
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
            globals: parseStored(file, 'meta "wns"', wnsText, globalsSchema),
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

/** The live parts whose state is saved; each is attached as soon as it exists. */
export interface FleetParts {
  readonly simulation: Simulation;
  readonly emulator: WnsEmulator;
  /** The reference MDM server; null when the user's server runs (its old records are dropped). */
  readonly reference: ReferenceMdm | null;
  readonly ports: Partial<FleetPorts>;
}

/** How often a failing store is reported (once, then every this many failed commits). */
const REPORT_EVERY = 100;

/**
 * Saves a live fleet into a {@link StateStore} as it changes. Give its hooks to the parts
 * ({@link deviceChanged}, {@link wnsChanged}, {@link wnsRequest}, {@link mdmChanged},
 * {@link journalAdded}, {@link journalCleared}) and use it as an event sink; {@link attach} each
 * part as soon as it exists (a part is written from then on); call {@link commit} before
 * answering a client.
 */
export class DurableFleet implements EventSink {
  private parts: { -readonly [K in keyof FleetParts]?: FleetParts[K] } = {};
  private readonly devices = new Set<string>();
  private readonly wns = new Set<string>();
  private wnsAll = false;
  /** The emulator's apps, tokens or service state may have changed (a request to it). */
  private wnsGlobals = false;
  private readonly mdm = new Set<string>();
  private mdmCleared = false;
  private journalClear = false;
  private events: string[] = [];
  private journal: { seq: number; value: string }[] = [];
  private readonly written = new Map<string, string>();
  private scheduled = false;
  private closed = false;
  private failures = 0;
  /** Commits made (for tests and metrics). */
  commits = 0;

  constructor(
    private readonly store: StateStore,
    private readonly identity: FleetIdentity & { readonly start: number },
    /** Told when a commit fails (once, then every 100th failure; the fleet goes on in memory). */
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  readonly deviceChanged = (id: string): void => {
    this.devices.add(id);
    this.schedule();
  };

  readonly wnsChanged = (id: string | null): void => {
    if (id === null) {
      this.wnsAll = true;
      this.wnsGlobals = true;
    } else this.wns.add(id);
    this.schedule();
  };

  /** A request to the WNS emulator was handled (tokens, apps, ids or faults may have changed). */
  readonly wnsRequest = (): void => {
    this.wnsGlobals = true;
  };

  readonly mdmChanged = (id: string): void => {
    this.mdm.add(id);
    this.schedule();
  };

  readonly journalAdded = (entry: JournalEntry): void => {
    this.journal.push({ seq: entry.seq, value: JSON.stringify(entry) });
    this.schedule();
  };

  /** The journal was emptied (`POST /_sim/reset`): the stored one is emptied too. */
  readonly journalCleared = (): void => {
    this.journalClear = true;
    this.journal = [];
    this.schedule();
  };

  emit(event: TimelineEvent): void {
    this.events.push(JSON.stringify(event));
    this.schedule();
  }

  /** Starts saving `parts` (everything they hold is written by the next commit). */
  attach(parts: Partial<FleetParts>): void {
    if (parts.simulation) for (const id of parts.simulation.deviceIds()) this.devices.add(id);
    if (parts.emulator) {
      this.wnsAll = true;
      this.wnsGlobals = true;
    }
    if (parts.reference) for (const r of parts.reference.devices()) this.mdm.add(r.deviceId);
    if (parts.reference === null) this.mdmCleared = true;
    if (parts.ports) parts = { ...parts, ports: { ...this.parts.ports, ...parts.ports } };
    this.parts = { ...this.parts, ...parts };
    this.schedule();
  }

  /**
   * Writes what changed since the last commit in one transaction (nothing when nothing did).
   * Returns false when the write failed (disk full…): that is reported to `onError`, and what
   * was pending is tried again at the next commit.
   */
  commit(): boolean {
    const { simulation, emulator, reference, ports } = this.parts;
    if (this.closed) return true;
    const meta: [string, string][] = [];
    const put = (key: string, value: unknown): void => {
      const text = JSON.stringify(value);
      if (this.written.get(key) !== text) meta.push([key, text]);
    };
    put('fleet', this.identity);
    if (ports?.control !== undefined && ports.wns !== undefined) put('ports', ports);
    const rows: RowChange[] = [];
    if (simulation) {
      put('simulation', simulation.saveGlobals());
      for (const id of this.devices)
        rows.push({ kind: 'device', id, value: JSON.stringify(simulation.saveDevice(id)) });
    }
    const clearKinds: string[] = [];
    if (emulator) {
      if (this.wnsGlobals) put('wns', emulator.saveGlobals());
      const clock = emulator.clock;
      if (!isOrdered(clock)) throw new Error('durable state needs a clock that ranks its timers');
      const timer = timerSnapshots(clock);
      const wnsIds = this.wnsAll ? emulator.deviceIds() : this.wns;
      if (this.wnsAll) clearKinds.push('wns');
      for (const id of wnsIds) {
        const saved = emulator.saveDevice(id, timer);
        rows.push({ kind: 'wns', id, value: saved && JSON.stringify(saved) });
      }
    }
    if (this.mdmCleared) clearKinds.push('mdm');
    if (reference)
      for (const id of this.mdm) {
        const record = reference.device(id);
        rows.push({ kind: 'mdm', id, value: record ? JSON.stringify(record) : null });
      }
    const pending = meta.length + rows.length + this.events.length + this.journal.length;
    if (pending + clearKinds.length === 0 && !this.journalClear) return true;
    try {
      this.store.commit({
        meta,
        rows,
        clearKinds,
        clearJournal: this.journalClear,
        events: this.events,
        journal: this.journal,
      });
    } catch (e) {
      if (this.failures++ % REPORT_EVERY === 0) this.onError(e as Error);
      return false;
    }
    this.failures = 0;
    this.commits++;
    for (const [key, text] of meta) this.written.set(key, text);
    if (simulation) this.devices.clear();
    if (emulator) {
      this.wns.clear();
      this.wnsAll = false;
      this.wnsGlobals = false;
    }
    if (reference) this.mdm.clear();
    this.mdmCleared = false;
    this.journalClear = false;
    this.events = [];
    this.journal = [];
    return true;
  }

  /** Commits what is pending and closes the store. */
  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    this.store.close();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    // Once per turn of the event loop (not per microtask): I/O batching, not simulated time.
    // Answers and SyncML messages never wait for it: they commit first (commit()).
    // eslint-disable-next-line no-restricted-syntax
    setImmediate(() => {
      this.scheduled = false;
      this.commit();
    });
  }
}
