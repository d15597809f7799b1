import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { SystemClock } from '../../adapters/clock/system-clock.js';
import {
  createControlApi,
  type ControlPushOptions,
  type PushOutcome,
} from '../../adapters/http/control-api.js';
import { OmaDmHttpClient } from '../../adapters/http/omadm-client.js';
import { channelsExpiring, FleetMetrics } from '../../adapters/metrics.js';
import { WebSocketWnsLink } from '../../adapters/ws/websocket-wns-link.js';
import { ValidationError } from '../../core/errors.js';
import { streamFor } from '../../core/random/random.js';
import { Simulation, type SimulationPorts, type SimulationSpec } from '../../core/simulation.js';
import { TimerRestore } from '../../core/snapshot.js';
import {
  DurableFleet,
  EVENT_LOG_CAPACITY,
  inSpecOrder,
  readSavedFleet,
  type FleetIdentity,
  type SavedFleet,
} from '../../adapters/state/durable-fleet.js';
import { StateFileError, StateStore } from '../../adapters/state/state-store.js';
import { EventLog } from '../../core/timeline/event-log.js';
import { TeeSink, type EventSink } from '../../core/timeline/events.js';
import type { Clock, OrderedClock } from '../../core/time/clock.js';
import { formatInstant } from '../../core/time/iso.js';
import { VirtualClock } from '../../core/time/virtual-clock.js';
import type { WnsApp } from '../../core/wns/apps.js';
import { startReferenceMdm, type RunningReferenceMdm } from '../../mdm-server/start.js';
import { resolveScenario } from '../../scenario/resolve.js';
import { parseScenario } from '../../scenario/load.js';
import type { ScenarioFile } from '../../scenario/schema.js';
import { packageRoot, UsageError, type CliIo } from '../io.js';
import { runUntilStopped } from '../signals.js';
import { TimelineWriter } from '../timeline-writer.js';
import { REDACT, startWns } from './wns.js';

export interface ServeOptions {
  /** The user's management server; without it the reference MDM server runs. */
  readonly mdmUrl?: string;
  /** Size of the built-in fleet (not with a scenario). */
  readonly devices?: number;
  readonly scenario?: string;
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
  readonly seed?: number;
  readonly logLevel: string;
  /** Print the timeline to standard output as it happens (default true). */
  readonly timeline?: boolean;
  /** Real milliseconds a device waits for its management server's answer. */
  readonly sessionTimeoutMs?: number;
  /**
   * The reference server reads Push/ChannelURI only while it holds none (the stale-channel
   * mistake), instead of in every session.
   */
  readonly staleChannelUri?: boolean;
  /** Alert of package 1 in push-triggered sessions (default 1201; the sources disagree). */
  readonly pushAlert?: '1201' | '1200';
  /** The state file (default {@link DEFAULT_STATE_FILE}); not with `memory`. */
  readonly state?: string;
  /** Keep no state: the fleet starts afresh every time. */
  readonly memory?: boolean;
}

/** Where `serve` keeps its fleet unless told otherwise (relative to the working directory). */
export const DEFAULT_STATE_FILE = '.dmpush/state.db';

/** A running live fleet. */
export interface RunningServe {
  readonly controlUrl: string;
  readonly wnsUrl: string;
  readonly mdmUrl: string;
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
  readonly durable: DurableFleet | null;
  close(): Promise<void>;
}

/** Devices of the built-in fleet when `--devices` is not given. */
export const DEFAULT_FLEET_SIZE = 5;

function readScenario(
  io: CliIo,
  o: ServeOptions,
): { file: ScenarioFile; source: string; text: string } {
  if (o.scenario && o.devices !== undefined)
    throw new UsageError('--devices sizes the built-in fleet: leave it out with --scenario');
  const source = o.scenario ?? join(packageRoot(), 'fixtures', 'serve', 'fleet.yaml');
  let text: string;
  try {
    text = io.readFile(source);
  } catch (e) {
    throw new UsageError(
      `cannot read scenario ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    const file = parseScenario(text, source);
    if (o.scenario) return { file, source, text };
    const fleet = file.devices[0];
    if (!fleet) throw new UsageError(`${source}: the built-in fleet has no devices`);
    const count = o.devices ?? DEFAULT_FLEET_SIZE;
    return { file: { ...file, devices: [{ ...fleet, count }] }, source, text };
  } catch (e) {
    if (e instanceof ValidationError)
      throw new UsageError(
        `${source} is not a valid scenario:\n${e.issues.map((i) => `  ${i}`).join('\n')}`,
      );
    throw e;
  }
}

/**
 * Starts the live fleet: the WNS emulator, the devices (each on a real WebSocket to it, with real
 * SyncML sessions over HTTP to the management server), the reference MDM server unless
 * `--mdm-url` names the user's, and the control API. Times in the scenario count from now.
 */
export async function startServe(io: CliIo, o: ServeOptions): Promise<RunningServe> {
  if (o.mdmUrl !== undefined && !/^https?:\/\/[^/]/i.test(o.mdmUrl))
    throw new UsageError(`--mdm-url: expected an http(s) URL, got ${JSON.stringify(o.mdmUrl)}`);
  if (o.memory && o.state !== undefined)
    throw new UsageError('--memory keeps no state: leave out --state, or --memory');
  const { file, source, text } = readScenario(io, o);
  const logger = pino(
    { level: o.logLevel, redact: { paths: REDACT, censor: '[redacted]' } },
    pino.destination(2),
  );
  // Seed and size before times are rebased: a state file names the fleet it holds by them.
  let drawn: SimulationSpec;
  try {
    drawn = resolveScenario(file, { seed: o.seed });
  } catch (e) {
    if (e instanceof ValidationError)
      throw new UsageError(
        `${source} is not a valid scenario:\n${e.issues.map((i) => `  ${i}`).join('\n')}`,
      );
    throw e;
  }
  const stateFile = o.memory ? null : (o.state ?? DEFAULT_STATE_FILE);
  let store: StateStore | null = null;
  try {
    store = stateFile === null ? null : StateStore.open(stateFile);
  } catch (e) {
    if (e instanceof StateFileError) throw new UsageError(e.message);
    throw e;
  }
  const systemClock = new SystemClock();
  const identity: FleetIdentity = {
    seed: drawn.seed,
    scenario: o.scenario ?? 'built-in',
    scenarioSha256: createHash('sha256').update(text).digest('hex'),
    devices: drawn.devices.length,
    pfn: o.pfn ?? null,
    clock: o.clock,
  };
  let saved: SavedFleet | null;
  try {
    saved = store && readSavedFleet(store, identity);
  } catch (e) {
    store?.close();
    if (e instanceof StateFileError) throw new UsageError(e.message);
    throw e;
  }
  const clock: Clock =
    o.clock === 'virtual'
      ? new VirtualClock({ start: saved?.simulation?.now ?? systemClock.now() })
      : systemClock;
  const startAt = saved?.start ?? clock.now();
  const durable =
    store &&
    new DurableFleet(store, { ...identity, start: startAt }, (error) =>
      logger.error({ error: error.message, file: stateFile }, 'state not saved'),
    );
  const timers = new TimerRestore();
  // Port 0 (any) takes the saved port again: channel URIs name the emulator's address, and
  // scripts the control API's.
  const port = (given: number, previous: number | undefined): number =>
    given === 0 && previous !== undefined ? previous : given;
  const closers: Array<() => Promise<void> | void> = [() => durable?.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close();
    if (clock instanceof SystemClock) clock.dispose();
  };
  /** What a state file this build cannot restore gets (naming the file and each problem). */
  const cannotTakeBack = (e: ValidationError): UsageError =>
    new UsageError(
      `${stateFile} holds a fleet this dmpush cannot take back:\n${e.issues
        .map(
          (i) =>
            // Paths count devices in scenario order: name the device too.
            `  ${i.replace(/^snapshot\.devices\[(\d+)\]/, (path, n: string) => `${path} (device ${drawn.devices[Number(n)]?.id ?? '?'})`)}`,
        )
        .join('\n')}`,
    );
  /** Commits before an answer; a failed commit answers 503 instead (see `replier`). */
  const commitOrRefuse = (d: DurableFleet): void => {
    if (!d.commit())
      throw new Error(`the change could not be saved to ${stateFile} (see the log): try again`);
  };
  /** A listen error on a port taken from the state file says so. */
  const savedPortHint = (e: unknown, given: number, flag: string): unknown =>
    e instanceof UsageError && given === 0 && saved?.ports
      ? new UsageError(
          `${e.message} (the port saved in ${stateFile}: free it, or give another with ${flag})`,
        )
      : e;
  try {
    const wns = await startWns(
      { ...io, stdout: () => undefined },
      {
        host: o.host,
        port: port(o.wnsPort, saved?.ports?.wns),
        clock: o.clock,
        apps: o.apps,
        tls: false,
        certDir: '.dmpush/tls',
        seed: o.seed ?? 1,
        logLevel: o.logLevel,
      },
      logger.child({ part: 'wns' }),
      clock,
      durable
        ? {
            onChange: durable.wnsChanged,
            beforeReply: () => {
              durable.wnsRequest();
              commitOrRefuse(durable);
            },
          }
        : {},
    ).catch((e: unknown) => {
      throw savedPortHint(e, o.wnsPort, '--wns-port');
    });
    closers.push(() => wns.close());
    if (saved?.emulator) {
      const e = saved.emulator;
      try {
        wns.emulator.loadState(e.globals, e.devices, e.journal, timers.arm);
      } catch (error) {
        if (error instanceof ValidationError) throw cannotTakeBack(error);
        throw error;
      }
    }
    if (durable) {
      const journal = wns.emulator.service.journal;
      journal.onAdd = durable.journalAdded;
      journal.onClear = durable.journalCleared;
      durable.attach({ emulator: wns.emulator });
    }
    const apps = wns.emulator.apps;
    const pfn = o.pfn ?? (apps.list()[0] as Omit<WnsApp, 'secret'>).pfn;
    const app = apps.byPackageFamilyName(pfn);
    if (!app && o.mdmUrl === undefined)
      throw new UsageError(
        `--pfn ${pfn}: the reference MDM server sends as a WNS app, and the emulator knows ` +
          `${apps
            .list()
            .map((a) => a.pfn)
            .join(', ')} (add yours with --apps)`,
      );

    let reference: RunningReferenceMdm | null = null;
    let mdmUrl = o.mdmUrl;
    if (mdmUrl === undefined) {
      const sender = app as WnsApp;
      reference = await startReferenceMdm({
        host: o.host,
        port: o.mdmPort,
        pfn,
        wns: { tokenUrl: `${wns.url}/accesstoken.srf`, sid: sender.sid, secret: sender.secret },
        clock,
        rereadChannelUri: !o.staleChannelUri,
        onEvent: durable ? (event) => durable.mdmChanged(event.deviceId) : undefined,
      });
      closers.push(() => reference?.close());
      if (saved) reference.mdm.load(saved.mdm);
      mdmUrl = reference.url;
    }
    durable?.attach({ reference: reference?.mdm ?? null });

    const spec = resolveScenario(
      {
        ...file,
        start: formatInstant(startAt),
        devices: o.pfn ? file.devices.map((d) => ({ ...d, pfn: o.pfn })) : file.devices,
      },
      { seed: o.seed },
    );
    const events = new EventLog(EVENT_LOG_CAPACITY);
    for (const event of saved?.events ?? []) events.emit(event);
    // Read at scrape time (simulation is set below, before the control API listens).
    let simulation: Simulation | null = null;
    const metrics = new FleetMetrics({
      connectedDevices: () => simulation?.snapshots().filter((d) => d.wnsConnected).length ?? 0,
      channelsExpiringWithin15Days: () =>
        channelsExpiring(simulation?.snapshots() ?? [], clock.now()),
    });
    const sinks: EventSink[] = [events, metrics];
    if (durable) sinks.push(durable);
    const writer =
      o.timeline === false ? null : new TimelineWriter((t) => io.stdout(t), 'text', {}, 1);
    if (writer) sinks.push(writer);
    const link = new WebSocketWnsLink({
      url: `${wns.url.replace(/^http/, 'ws')}/_device`,
      clock,
      random: streamFor(spec.seed, 'serve:link'),
      onError: (error, deviceId) => logger.warn({ deviceId, error: error.message }, 'wns link'),
    });
    closers.push(() => link.close());
    const client = new OmaDmHttpClient({
      url: mdmUrl,
      clock,
      timeoutMs: o.sessionTimeoutMs,
      pushAlert: o.pushAlert,
      beforeSend: durable ? () => durable.commit() : undefined,
    });
    closers.push(() => client.close());
    // Pushes name devices by their simulator id; the MDM server knows them by DevId.
    const push = reference
      ? (deviceId: string, options: ControlPushOptions): Promise<PushOutcome> => {
          const devId = simulation?.device(deviceId)?.devId ?? deviceId;
          return reference.push(devId, options);
        }
      : undefined;
    const ports: SimulationPorts = {
      clock,
      wns: link,
      mdm: client,
      // A scenario's push goes through the reference server; a user's server pushes by itself.
      push: push
        ? (deviceId, options) =>
            void push(deviceId, {
              cachePolicy: options.cachePolicy,
              ttlSeconds: options.ttlSeconds ?? undefined,
            })
        : () => undefined,
      onChange: durable?.deviceChanged,
    };
    const sink = new TeeSink(sinks);
    let nextSeq = 0;
    if (saved?.simulation) {
      const snapshot = inSpecOrder(
        stateFile as string,
        saved.simulation,
        spec.devices.map((d) => d.id),
      );
      try {
        simulation = Simulation.restore(spec, snapshot, sink, ports, timers);
      } catch (e) {
        if (e instanceof ValidationError) throw cannotTakeBack(e);
        throw e;
      }
      nextSeq = snapshot.nextSeq;
    } else {
      simulation = new Simulation(spec, sink, ports);
    }
    const control = createControlApi({
      simulation,
      events,
      push,
      metrics,
      start: spec.start,
      beforeReply: durable ? () => commitOrRefuse(durable) : undefined,
    });
    let controlUrl: string;
    let controlPort: number;
    const wanted = port(o.port, saved?.ports?.control);
    try {
      ({ url: controlUrl, port: controlPort } = await control.listen(wanted, o.host));
    } catch (e) {
      throw savedPortHint(
        new UsageError(
          `cannot listen on ${o.host}:${wanted}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        ),
        o.port,
        '--port',
      );
    }
    closers.push(() => control.close());

    io.stdout(
      [
        `dmpush serve: ${spec.devices.length} devices from ${o.scenario ?? 'the built-in fleet'} (${o.clock} clock, seed ${spec.seed})`,
        `  control API:  ${controlUrl}/api/devices  (events: ${controlUrl}/api/events, metrics: ${controlUrl}/metrics)`,
        `  WNS emulator: ${wns.url}  (admin: ${wns.url}/_sim/health)`,
        reference
          ? `  MDM server:   ${mdmUrl}  (reference server; PFN ${pfn}${o.staleChannelUri ? '; never re-reads Push/ChannelURI' : ''})`
          : `  MDM server:   ${mdmUrl}  (yours${o.pfn ? `; PFN preset ${o.pfn}` : ''})`,
        `  dashboard:    ${controlUrl}/  (live over WebSocket: ${controlUrl.replace(/^http/, 'ws')}/api/live)`,
        stateFile === null
          ? '  state:        none (--memory)'
          : `  state:        ${stateFile}  (${saved ? `restored: ${events.list().length} events` : 'new'})`,
        `  stop with Ctrl-C`,
        '',
      ].join('\n'),
    );
    logger.info(
      { devices: spec.devices.length, source, clock: o.clock, state: stateFile, restored: !!saved },
      'serve started',
    );
    durable?.attach({
      simulation,
      ports: { control: controlPort, wns: Number(new URL(wns.url).port) },
    });
    if (saved?.simulation) {
      // Every saved timer (devices, actions, cached notifications) in its saved order; on the
      // system clock those due while dmpush was stopped run at once, after the devices resume.
      timers.replay(clock as OrderedClock, nextSeq);
      simulation.resume();
    } else simulation.start();
    return {
      controlUrl,
      wnsUrl: wns.url,
      mdmUrl,
      clock,
      simulation,
      events,
      reference,
      stateFile,
      restored: saved?.simulation != null,
      durable,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** `dmpush serve`: runs until SIGINT or SIGTERM. */
export async function serveCommand(io: CliIo, o: ServeOptions): Promise<void> {
  await runUntilStopped(() => startServe(io, o));
}
