/**
 * The devices' side of `dmpush serve`: their WNS link (WebSockets to the emulator), their OMA-DM
 * client (SyncML over HTTP to the management server), where scenario pushes go, and where the
 * timeline goes (the live event log, metrics, the state store, standard output).
 *
 * @module
 */
import type { BaseLogger } from 'pino';
import type { ControlPushOptions, PushOutcome } from '../../adapters/http/control-api.js';
import { OmaDmHttpClient } from '../../adapters/http/omadm-client.js';
import { channelsExpiring, FleetMetrics } from '../../adapters/metrics.js';
import { fleetCredentials, newFleetKey } from '../../adapters/ws/device-credentials.js';
import { WebSocketWnsLink } from '../../adapters/ws/websocket-wns-link.js';
import { streamFor } from '../../core/random/random.js';
import type { Simulation, SimulationPorts, SimulationSpec } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import { TeeSink, type EventSink, type TimelineEvent } from '../../core/timeline/events.js';
import type { Clock } from '../../core/time/clock.js';
import type { EnrollmentService } from '../../core/enroll/enrollment.js';
import type { RunningReferenceMdm } from '../../adapters/mdm-server/start.js';
import type { CliIo } from '../io.js';
import { TimelineWriter } from '../timeline-writer.js';
import type { RunningWns } from '../commands/wns.js';
import type { FleetState } from './fleet-state.js';

/** What {@link buildFleet} needs. */
export interface FleetInputs {
  readonly o: {
    readonly timeline?: boolean;
    readonly sessionTimeoutMs?: number;
    readonly pushAlert?: '1201' | '1200';
  };
  readonly spec: SimulationSpec;
  readonly clock: Clock;
  readonly state: FleetState;
  readonly wns: RunningWns;
  readonly reference: RunningReferenceMdm | null;
  /** The management server, or null: each device's comes from its enrollment. */
  readonly mdmUrl: string | null;
  /** The devices' enrollment service, or null (managed without enrollment). */
  readonly enroller: EnrollmentService | null;
  readonly events: EventLog;
  readonly io: CliIo;
  readonly logger: BaseLogger;
}

/** The fleet's adapters, ready for a {@link Simulation}. */
export interface Fleet {
  readonly ports: SimulationPorts;
  readonly sink: EventSink;
  readonly metrics: FleetMetrics;
  /** Pushes to a device (by simulator id) through the reference server; null with the user's. */
  readonly push: ((deviceId: string, options: ControlPushOptions) => Promise<PushOutcome>) | null;
  /** Closes the link and the client. */
  readonly closers: ReadonlyArray<() => Promise<void> | void>;
  /** Set once the simulation exists (metrics and pushes read it). */
  attach(simulation: Simulation): void;
}

/** Builds the devices' adapters. */
export function buildFleet(x: FleetInputs): Fleet {
  let simulation: Simulation | null = null;
  const metrics = new FleetMetrics({
    connectedDevices: () => simulation?.snapshots().filter((d) => d.wnsConnected).length ?? 0,
    channelsExpiringWithin15Days: () =>
      channelsExpiring(simulation?.snapshots() ?? [], x.clock.now()),
  });
  // The event log appends to the store's log too, and `GET /api/events` pages it from there.
  x.events.keepIn(x.state.store.log<TimelineEvent>('events'));
  const sinks: EventSink[] = [x.events, metrics];
  if (x.o.timeline !== false) sinks.push(new TimelineWriter((t) => x.io.stdout(t), 'text', {}, 1));
  // The fleet's devices prove who they are with a key of this process, which its emulator trusts
  // for their ids (decision 0011); the emulator starts and stops with the fleet, so a key per
  // process serves across restarts.
  const fleetKey = newFleetKey();
  x.wns.emulator.credentials.trustFleet(
    fleetKey,
    x.spec.devices.map((d) => d.id),
  );
  const link = new WebSocketWnsLink({
    url: `${x.wns.url.replace(/^http/, 'ws')}/_device`,
    clock: x.clock,
    random: streamFor(x.spec.seed, 'serve:link'),
    credentials: fleetCredentials(fleetKey),
    onError: (error, deviceId) => x.logger.warn({ deviceId, error: error.message }, 'wns link'),
  });
  const client = new OmaDmHttpClient({
    ...(x.mdmUrl === null ? {} : { url: x.mdmUrl }),
    clock: x.clock,
    sessionTimeoutMs: x.o.sessionTimeoutMs,
    pushAlert: x.o.pushAlert,
    beforeSend: x.state.tryCommit,
  });
  const reference = x.reference;
  // Pushes name devices by their simulator id; the MDM server knows them by DevId.
  const push = reference
    ? (deviceId: string, options: ControlPushOptions): Promise<PushOutcome> =>
        reference.push(simulation?.device(deviceId)?.devId ?? deviceId, options)
    : null;
  return {
    ports: {
      clock: x.clock,
      wns: link,
      wnsControl: x.wns.emulator.cloud,
      mdm: client,
      ...(x.enroller ? { enroller: x.enroller } : {}),
      store: x.state.store,
      // A scenario's push goes through the reference server; a user's server pushes by itself.
      push: (deviceId, options) =>
        void push?.(deviceId, {
          cachePolicy: options.cachePolicy,
          ttlSeconds: options.ttlSeconds ?? undefined,
          ...(options.priority === undefined ? {} : { priority: options.priority }),
        }),
    },
    sink: new TeeSink(sinks),
    metrics,
    push,
    closers: [() => link.close(), () => client.close()],
    attach: (s) => void (simulation = s),
  };
}
