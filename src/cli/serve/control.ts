/**
 * The control API of `dmpush serve` (`--port`): devices, events, pushes, the clock, metrics and
 * the dashboard, answering only after what it changed is saved. Closing it stops a running advance
 * of the clock first (`SIGTERM` mid-advance).
 *
 * @module
 */
import type { BaseLogger } from 'pino';
import { createControlApi } from '../../adapters/http/control-api.js';
import type { Simulation, SimulationSpec } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import { UsageError } from '../io.js';
import type { Fleet } from './fleet.js';
import type { FleetState } from './fleet-state.js';

/** A listening control API. */
export interface RunningControl {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the control API on `--port` (or the saved port when `--port 0`). */
export async function startControl(x: {
  readonly o: {
    readonly host: string;
    readonly port: number;
    readonly allowHost?: readonly string[];
    readonly apiToken?: string;
    /** `--max-advance`: the longest one `POST /api/clock/advance` may skip. */
    readonly maxAdvance?: string;
  };
  readonly spec: SimulationSpec;
  readonly state: FleetState;
  readonly simulation: Simulation;
  readonly events: EventLog;
  readonly fleet: Fleet;
  readonly logger: BaseLogger;
}): Promise<RunningControl> {
  x.fleet.attach(x.simulation);
  const control = createControlApi({
    simulation: x.simulation,
    events: x.events,
    push: x.fleet.push ?? undefined,
    metrics: x.fleet.metrics,
    start: x.spec.start,
    beforeReply: x.state.commitOrRefuse,
    logger: x.logger,
    ...(x.o.maxAdvance !== undefined ? { maxAdvance: x.o.maxAdvance } : {}),
    access: { allowHosts: x.o.allowHost, apiToken: x.o.apiToken },
  });
  const saved = x.state.saved?.ports?.control;
  const wanted = x.o.port === 0 && saved !== undefined ? saved : x.o.port;
  try {
    const { url, port } = await control.listen(wanted, x.o.host);
    return { url, port, close: () => control.close() };
  } catch (e) {
    throw x.state.savedPortHint(
      new UsageError(
        `cannot listen on ${x.o.host}:${wanted}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      ),
      x.o.port,
      '--port',
    );
  }
}
