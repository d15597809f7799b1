/**
 * Where `dmpush serve` keeps its fleet: a state file (SQLite, `--state`, default
 * {@link DEFAULT_STATE_FILE}) or nothing (`--memory`), and what a restart takes back from it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { BaseLogger } from 'pino';
import {
  readSavedFleet,
  type FleetIdentity,
  type SavedFleet,
} from '../../adapters/state/durable-fleet.js';
import { SqliteStateStore } from '../../adapters/state/sqlite-state-store.js';
import { StateFile, StateFileError } from '../../adapters/state/state-store.js';
import type { ValidationError } from '../../core/errors.js';
import { MemoryStateStore, type StateStore } from '../../core/state/state-store.js';
import type { SimulationSpec } from '../../core/simulation.js';
import { UsageError } from '../io.js';
import type { FleetScenario } from './fleet-scenario.js';

/** Where `serve` keeps its fleet unless told otherwise (relative to the working directory). */
export const DEFAULT_STATE_FILE = '.dmpush/state.db';

/** The store a fleet runs on, and what it held. */
export interface FleetState {
  readonly store: StateStore;
  /** The durable store, or null with `--memory`. */
  readonly durable: SqliteStateStore | null;
  /** The state file, or null with `--memory`. */
  readonly file: string | null;
  /** What the file held, or null (a new file, `--memory`). */
  readonly saved: SavedFleet | null;
  readonly identity: FleetIdentity;
  /** Commits before an answer; a failed commit throws, and the answer is 503 naming the file. */
  readonly commitOrRefuse: () => void;
  /** Commits if it can (a failure is logged by the store and the work goes on). */
  readonly tryCommit: () => void;
  /** A restore problem as a usage error naming the file and, for a device path, the device. */
  cannotTakeBack(e: ValidationError, spec?: SimulationSpec): UsageError;
  /** A listen error on a port taken from the state file says so. */
  savedPortHint(e: unknown, given: number, flag: string): unknown;
}

/** Options of {@link openFleetState}. */
export interface FleetStateOptions {
  readonly state?: string;
  readonly memory?: boolean;
  readonly seed: number;
  readonly scenario?: string;
  readonly devices: number;
  readonly pfn?: string;
  readonly providerId?: string;
  /** How devices enroll (see {@link FleetIdentity.enrollment}). */
  readonly enrollment: string | null;
  readonly clock: 'system' | 'virtual';
}

/** Opens the fleet's store and reads what it holds (refusing another fleet's file). */
export function openFleetState(
  o: FleetStateOptions,
  scenario: FleetScenario,
  logger: BaseLogger,
): FleetState {
  if (o.memory && o.state !== undefined)
    throw new UsageError('--memory keeps no state: leave out --state, or --memory');
  const file = o.memory ? null : (o.state ?? DEFAULT_STATE_FILE);
  const identity: FleetIdentity = {
    seed: o.seed,
    scenario: o.scenario ?? 'built-in',
    scenarioSha256: createHash('sha256').update(scenario.text).digest('hex'),
    devices: o.devices,
    pfn: o.pfn ?? null,
    providerId: o.providerId ?? null,
    enrollment: o.enrollment,
    clock: o.clock,
  };
  let durable: SqliteStateStore | null = null;
  let saved: SavedFleet | null = null;
  try {
    if (file !== null) {
      durable = new SqliteStateStore(StateFile.open(file), {
        onError: (error) => logger.error({ error: error.message, file }, 'state not saved'),
      });
      saved = readSavedFleet(durable, identity);
    }
  } catch (e) {
    durable?.close();
    if (e instanceof StateFileError) throw new UsageError(e.message);
    throw e;
  }
  return {
    store: durable ?? new MemoryStateStore(),
    durable,
    file,
    saved,
    identity,
    commitOrRefuse: () => {
      try {
        durable?.commit();
      } catch {
        throw new Error(`the change could not be saved to ${file} (see the log): try again`);
      }
    },
    tryCommit: () => {
      try {
        durable?.commit();
      } catch {
        // Reported by the store; the session goes on in memory.
      }
    },
    cannotTakeBack: (e, spec) =>
      new UsageError(
        `${file} holds a fleet this dmpush cannot take back:\n${e.issues
          .map(
            (i) =>
              // Paths count devices in scenario order: name the device too.
              `  ${i.replace(/^snapshot\.devices\[(\d+)\]/, (path, n: string) => `${path} (device ${spec?.devices[Number(n)]?.id ?? '?'})`)}`,
          )
          .join('\n')}`,
      ),
    savedPortHint: (e, given, flag) =>
      e instanceof UsageError && given === 0 && saved?.ports
        ? new UsageError(
            `${e.message} (the port saved in ${file}: free it, or give another with ${flag})`,
          )
        : e,
  };
}
