import { pino, type Logger } from 'pino';
import { SystemClock } from '../../adapters/clock/system-clock.js';
import { EVENT_LOG_CAPACITY, inSpecOrder } from '../../adapters/state/durable-fleet.js';
import type { SqliteStateStore } from '../../adapters/state/sqlite-state-store.js';
import { ValidationError } from '../../core/errors.js';
import { Simulation, type SimulationSpec } from '../../core/simulation.js';
import { TimerRestore } from '../../core/snapshot.js';
import { EventLog } from '../../core/timeline/event-log.js';
import type { Clock, OrderedClock } from '../../core/time/clock.js';
import { formatInstant } from '../../core/time/iso.js';
import { VirtualClock } from '../../core/time/virtual-clock.js';
import type { WnsApp } from '../../core/wns/apps.js';
import { startReferenceMdm, type RunningReferenceMdm } from '../../adapters/mdm-server/start.js';
import { DEFAULT_PROVIDER_ID } from '../../mdm-server/reference-mdm.js';
import { exposureWarning } from '../exposure.js';
import type { EnrollConfig } from '../program/enroll.js';
import { planEnrollment, type EnrollmentPlan } from '../serve/enrollment.js';
import { UsageError, type CliIo } from '../io.js';
import { startControl } from '../serve/control.js';
import { readFleetScenario, resolveFleet } from '../serve/fleet-scenario.js';
import { DEFAULT_STATE_FILE, openFleetState, type FleetState } from '../serve/fleet-state.js';
import { buildFleet } from '../serve/fleet.js';
import { runUntilStopped } from '../signals.js';
import { REDACT, startWns, type RunningWns } from './wns.js';

export { DEFAULT_FLEET_SIZE } from '../serve/fleet-scenario.js';
export { DEFAULT_STATE_FILE } from '../serve/fleet-state.js';

/** `EmailAddress` of the devices' Discover requests without `--enroll-email`. */
export const DEFAULT_ENROLL_EMAIL = '{deviceId}@dmpush.example';
export { DEFAULT_MAX_ADVANCE } from '../../adapters/http/control-advance.js';

export interface ServeOptions {
  /** The user's management server; without it the reference MDM server runs. */
  readonly mdmUrl?: string;
  /** Size of the built-in fleet (not with a scenario). */
  readonly devices?: number;
  readonly scenario?: string;
  /** How long the emulator keeps a cached push at most, ISO 8601 (default P3D). */
  readonly cacheMaxAge?: string;
  readonly clock: 'system' | 'virtual';
  readonly host: string;
  /** The control API's port. */
  readonly port: number;
  readonly wnsPort: number;
  /** The reference MDM server's port. */
  readonly mdmPort: number;
  readonly apps?: string;
  /** Presets `Push/PFN` on every device. */
  readonly pfn?: string;
  /** The devices' DMClient `{ProviderID}` (default `DMPUSH`): a server's own. */
  readonly providerId?: string;
  readonly seed?: number;
  readonly logLevel: string;
  /** Print the timeline to standard output as it happens (default true). */
  readonly timeline?: boolean;
  /**
   * Real milliseconds a session may spend waiting on the management server in all (a total
   * deadline, however slowly the server sends its answers).
   */
  readonly sessionTimeoutMs?: number;
  /**
   * The reference server reads Push/ChannelURI only while it holds none (the stale-channel
   * mistake), instead of in every session.
   */
  readonly staleChannelUri?: boolean;
  /** Alert of package 1 in push-triggered sessions (default 1201; the sources disagree). */
  readonly pushAlert?: '1201' | '1200';
  /** The state file (default `.dmpush/state.db`); not with `memory`. */
  readonly state?: string;
  /** Keep no state: the fleet starts afresh every time. */
  readonly memory?: boolean;
  /** The longest one `POST /api/clock/advance` may skip (`--max-advance`, ISO 8601 duration). */
  readonly maxAdvance?: string;
  /** Host names every server answers to besides local ones (`--allow-host`). */
  readonly allowHost?: readonly string[];
  /** The control and admin APIs require `Authorization: Bearer <apiToken>` (`--api-token`). */
  readonly apiToken?: string;
  /** Devices enroll (MS-MDE2) with the user's server before they are managed (`--enroll-url`). */
  readonly enroll?: EnrollConfig | null;
  /**
   * False: the reference MDM server manages its devices without enrollment (`--no-enrollment`);
   * default true.
   */
  readonly enrollment?: boolean;
  /** How long after a failed enrollment a device tries again, ms (`--enroll-retry`). */
  readonly enrollRetry?: number;
}

/** A running live fleet. */
export interface RunningServe {
  readonly controlUrl: string;
  readonly wnsUrl: string;
  /** The management server, or null when each device's comes from its enrollment. */
  readonly mdmUrl: string | null;
  readonly clock: Clock;
  readonly simulation: Simulation;
  readonly events: EventLog;
  /** The reference MDM server, when it runs (no `--mdm-url`). */
  readonly reference: RunningReferenceMdm | null;
  /** The state file, or null with `--memory`. */
  readonly stateFile: string | null;
  /** True when the fleet was taken back from the state file rather than started afresh. */
  readonly restored: boolean;
  /** Durable state (null with `--memory`). */
  readonly durable: SqliteStateStore | null;
  close(): Promise<void>;
}

/** What was started so far, closed in reverse order. */
class Closers {
  private readonly list: Array<() => Promise<void> | void> = [];
  add(close: () => Promise<void> | void): void {
    this.list.push(close);
  }
  async closeAll(): Promise<void> {
    for (const close of this.list.reverse()) await close();
    this.list.length = 0;
  }
}

/** The revision of a document that never changes. */
const constant = (): number => 0;

/** Port 0 (any) takes the saved port again: channel URIs name the emulator's address. */
const portOf = (given: number, previous: number | undefined): number =>
  given === 0 && previous !== undefined ? previous : given;

/**
 * Starts the live fleet: the WNS emulator, the devices (each on a real WebSocket to it, with real
 * SyncML sessions over HTTP to the management server), the reference MDM server unless
 * `--mdm-url` names the user's, and the control API. Times in the scenario count from now. Every
 * part keeps its records in one store: the state file, or memory with `--memory`.
 */
export async function startServe(io: CliIo, o: ServeOptions): Promise<RunningServe> {
  if (o.mdmUrl !== undefined && !/^https?:\/\/[^/]/i.test(o.mdmUrl))
    throw new UsageError(`--mdm-url: expected an http(s) URL, got ${JSON.stringify(o.mdmUrl)}`);
  const scenario = readFleetScenario(io, o);
  const logger = pino(
    { level: o.logLevel, redact: { paths: REDACT, censor: '[redacted]' } },
    pino.destination(2),
  );
  // Seed and size before times are rebased: a state file names the fleet it holds by them.
  const drawn = resolveFleet(scenario, { seed: o.seed });
  const plan = planEnrollment(o, o.memory ? null : (o.state ?? DEFAULT_STATE_FILE));
  const state = openFleetState(
    { ...o, seed: drawn.seed, devices: drawn.devices.length, enrollment: plan.identity },
    scenario,
    logger,
  );
  const systemClock = new SystemClock();
  const saved = state.saved;
  const clock: Clock =
    o.clock === 'virtual'
      ? new VirtualClock({ start: saved?.simulation?.now ?? systemClock.now() })
      : systemClock;
  const startAt = saved?.start ?? clock.now();
  state.store.document('fleet', () => ({ ...state.identity, start: startAt }), constant);
  const closers = new Closers();
  closers.add(() => state.durable?.close());
  const closeAll = async (): Promise<void> => {
    await closers.closeAll();
    if (clock instanceof SystemClock) clock.dispose();
  };
  try {
    const timers = new TimerRestore();
    const wns = await startEmulator(io, o, state, clock, timers, logger);
    closers.add(() => wns.close());
    const { reference, pfn } = await startReference(o, wns, state, clock, logger, plan);
    if (reference) closers.add(() => reference.close());
    const enroller = plan.service(reference, clock);
    const mdmUrl = o.mdmUrl ?? reference?.url ?? null;
    const spec = resolveFleet(scenario, {
      seed: o.seed,
      start: formatInstant(startAt),
      pfn: o.pfn,
      providerId: o.providerId,
    });
    const events = new EventLog(EVENT_LOG_CAPACITY);
    for (const event of saved?.events ?? []) events.emit(event);
    const fleet = buildFleet({
      ...{ o, spec, clock, state, wns, reference, mdmUrl, enroller, events, io, logger },
    });
    for (const close of fleet.closers) closers.add(close);
    const simulation = restoreOrCreate(spec, state, fleet, timers);
    const control = await startControl({ o, spec, state, simulation, events, fleet, logger });
    closers.add(() => control.close());
    io.stdout(banner(o, spec, { control: control.url, wns: wns.url, mdm: mdmUrl }, pfn, state));
    logger.info(
      { devices: spec.devices.length, source: scenario.source, clock: o.clock, state: state.file },
      'serve started',
    );
    const ports = {
      control: control.port,
      wns: Number(new URL(wns.url).port),
      ...(reference ? { mdm: Number(new URL(reference.url).port) } : {}),
    };
    state.store.document('ports', () => ports, constant);
    if (saved?.simulation) {
      // Every saved timer (devices, actions, cached notifications) in its saved order; on the
      // system clock those due while dmpush was stopped run at once, after the devices resume.
      timers.replay(clock as OrderedClock, saved.simulation.nextSeq);
      simulation.resume();
    } else simulation.start();
    return {
      controlUrl: control.url,
      wnsUrl: wns.url,
      mdmUrl,
      clock,
      simulation,
      events,
      reference,
      stateFile: state.file,
      restored: saved?.simulation != null,
      durable: state.durable,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The WNS emulator, with what the state file held of it. */
async function startEmulator(
  io: CliIo,
  o: ServeOptions,
  state: FleetState,
  clock: Clock,
  timers: TimerRestore,
  logger: Logger,
): Promise<RunningWns> {
  const wns = await startWns(
    { ...io, stdout: () => undefined },
    {
      host: o.host,
      port: portOf(o.wnsPort, state.saved?.ports?.wns),
      clock: o.clock,
      apps: o.apps,
      tls: false,
      certDir: '.dmpush/tls',
      seed: o.seed ?? 1,
      logLevel: o.logLevel,
      allowHost: o.allowHost,
      apiToken: o.apiToken,
      cacheMaxAge: o.cacheMaxAge,
    },
    logger.child({ part: 'wns' }),
    clock,
    { store: state.store, beforeReply: state.commitOrRefuse },
  ).catch((e: unknown) => {
    throw state.savedPortHint(e, o.wnsPort, '--wns-port');
  });
  const e = state.saved?.emulator;
  if (e) {
    try {
      wns.emulator.loadState(e.globals, e.devices, e.journal, timers.arm);
    } catch (error) {
      await wns.close();
      if (error instanceof ValidationError) throw state.cannotTakeBack(error);
      throw error;
    }
  }
  return wns;
}

/** The reference MDM server, unless the user's server runs (`--mdm-url`). */
async function startReference(
  o: ServeOptions,
  wns: RunningWns,
  state: FleetState,
  clock: Clock,
  logger: Logger,
  plan: EnrollmentPlan,
): Promise<{ reference: RunningReferenceMdm | null; pfn: string }> {
  const apps = wns.emulator.apps;
  const pfn = o.pfn ?? (apps.list()[0] as Omit<WnsApp, 'secret'>).pfn;
  const app = apps.byPackageFamilyName(pfn);
  if (o.mdmUrl !== undefined || o.enroll) {
    // The user's server runs: records of a reference server that ran before are dropped.
    state.store.table('mdm', (r) => r).clear();
    state.store.table('mdm-enrollment', (r) => r).clear();
    return { reference: null, pfn };
  }
  if (!app)
    throw new UsageError(
      `--pfn ${pfn}: the reference MDM server sends as a WNS app, and the emulator knows ` +
        `${apps
          .list()
          .map((a) => a.pfn)
          .join(', ')} (add yours with --apps)`,
    );
  const reference = await startReferenceMdm({
    host: o.host,
    port: portOf(o.mdmPort, state.saved?.ports?.mdm),
    pfn,
    providerId: o.providerId,
    wns: { tokenUrl: `${wns.url}/accesstoken.srf`, sid: app.sid, secret: app.secret },
    clock,
    rereadChannelUri: !o.staleChannelUri,
    store: state.store,
    beforeReply: state.commitOrRefuse,
    access: { allowHosts: o.allowHost },
    logger: logger.child({ part: 'mdm' }),
    ...(plan.reference ? { enrollment: plan.reference } : {}),
  }).catch((e: unknown) => {
    throw state.savedPortHint(e, o.mdmPort, '--mdm-port');
  });
  if (state.saved) {
    reference.mdm.load(state.saved.mdm);
    reference.enrollment?.registry.load(state.saved.mdmEnrollments);
  }
  return { reference, pfn };
}

/** The saved simulation taken back, or a new one. */
function restoreOrCreate(
  spec: SimulationSpec,
  state: FleetState,
  fleet: ReturnType<typeof buildFleet>,
  timers: TimerRestore,
): Simulation {
  const saved = state.saved?.simulation;
  if (!saved) return new Simulation(spec, fleet.sink, fleet.ports);
  const snapshot = inSpecOrder(
    state.file as string,
    saved,
    spec.devices.map((d) => d.id),
  );
  try {
    return Simulation.restore(spec, snapshot, fleet.sink, fleet.ports, timers);
  } catch (e) {
    if (e instanceof ValidationError) throw state.cannotTakeBack(e, spec);
    throw e;
  }
}

/** What `serve` prints when it is up. */
function banner(
  o: ServeOptions,
  spec: SimulationSpec,
  urls: { readonly control: string; readonly wns: string; readonly mdm: string | null },
  pfn: string,
  state: FleetState,
): string {
  const { control, wns, mdm } = urls;
  const enrolls = o.enrollment !== false && o.mdmUrl === undefined;
  return [
    `dmpush serve: ${spec.devices.length} devices from ${o.scenario ?? 'the built-in fleet'} (${o.clock} clock, seed ${spec.seed})`,
    `  control API:  ${control}/api/devices  (events: ${control}/api/events, metrics: ${control}/metrics)`,
    `  WNS emulator: ${wns}  (admin: ${wns}/_sim/health)`,
    mdmLine(o, mdm, pfn),
    ...(o.enroll
      ? [`  enrollment:   ${o.enroll.url}  (yours, ${o.enroll.credentials.policy})`]
      : enrolls
        ? ['  enrollment:   reference server (OnPremise; digest-authenticated sessions)']
        : []),
    `  dashboard:    ${control}/  (live over WebSocket: ${control.replace(/^http/, 'ws')}/api/live)`,
    state.file === null
      ? '  state:        none (--memory)'
      : `  state:        ${state.file}  (${state.saved ? `restored: ${state.saved.events.length} events` : 'new'})`,
    `  stop with Ctrl-C`,
    '',
  ].join('\n');
}

/** The banner's line about the management server. */
function mdmLine(o: ServeOptions, mdm: string | null, pfn: string): string {
  if (mdm === null)
    return "  MDM server:   each device's management URL from its provisioning document";
  if (o.mdmUrl === undefined)
    return `  MDM server:   ${mdm}  (reference server; PFN ${pfn}${o.staleChannelUri ? '; never re-reads Push/ChannelURI' : ''})`;
  return `  MDM server:   ${mdm}  (yours${o.pfn ? `; PFN preset ${o.pfn}` : ''}; ProviderID ${o.providerId ?? DEFAULT_PROVIDER_ID})`;
}

/** `dmpush serve`: runs until SIGINT or SIGTERM. */
export async function serveCommand(io: CliIo, o: ServeOptions): Promise<void> {
  const warning = exposureWarning(o.host, o.apiToken, 'the control API and the WNS admin API');
  if (warning) io.stderr(warning);
  await runUntilStopped(() => startServe(io, o));
}
