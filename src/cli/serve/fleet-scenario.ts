/**
 * The fleet `dmpush serve` runs: a scenario file, or the built-in fleet sized by `--devices`.
 *
 * @module
 */
import { join } from 'node:path';
import { packageRoot } from '../../adapters/package-root.js';
import { ValidationError } from '../../core/errors.js';
import type { SimulationSpec } from '../../core/simulation.js';
import { parseScenario } from '../../scenario/load.js';
import { resolveScenario } from '../../scenario/resolve.js';
import type { DeviceEntry, ScenarioFile } from '../../scenario/schema.js';
import { UsageError, type CliIo } from '../io.js';

/** Devices of the built-in fleet when `--devices` is not given. */
export const DEFAULT_FLEET_SIZE = 5;

/** A fleet's scenario, read and checked. */
export interface FleetScenario {
  readonly file: ScenarioFile;
  /** Where it came from (a path; the built-in fleet's file for the built-in fleet). */
  readonly source: string;
  /** Its text (a state file names its fleet by the text's hash). */
  readonly text: string;
  /** Devices it may have in all, when not the scenario default: the built-in fleet's `--devices`. */
  readonly maxDevices?: number;
}

/** A scenario's validation problems as a usage error naming the file. */
function invalidScenario(source: string, e: ValidationError): UsageError {
  return new UsageError(
    `${source} is not a valid scenario:\n${e.issues.map((i) => `  ${i}`).join('\n')}`,
  );
}

/** Reads `--scenario`, or the built-in fleet with `--devices` devices. */
export function readFleetScenario(
  io: CliIo,
  o: { readonly scenario?: string; readonly devices?: number },
): FleetScenario {
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
    return { file: { ...file, devices: [{ ...fleet, count }] }, source, text, maxDevices: count };
  } catch (e) {
    if (e instanceof ValidationError) throw invalidScenario(source, e);
    throw e;
  }
}

/** Resolves the scenario (seed, devices, actions); validation problems are usage errors. */
export function resolveFleet(
  scenario: FleetScenario,
  options: {
    readonly seed?: number;
    readonly start?: string;
    readonly pfn?: string;
    readonly providerId?: string;
  },
): SimulationSpec {
  const { file } = scenario;
  const { pfn, providerId } = options;
  const preset = (d: DeviceEntry): DeviceEntry => ({
    ...d,
    ...(pfn ? { pfn } : {}),
    ...(providerId ? { providerId } : {}),
  });
  try {
    return resolveScenario(
      {
        ...file,
        ...(options.start === undefined ? {} : { start: options.start }),
        devices: pfn || providerId ? file.devices.map(preset) : file.devices,
      },
      { seed: options.seed, limits: { maxDevices: scenario.maxDevices } },
    );
  } catch (e) {
    if (e instanceof ValidationError) throw invalidScenario(scenario.source, e);
    throw e;
  }
}
