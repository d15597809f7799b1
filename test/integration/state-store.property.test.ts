/**
 * The state port under random interleavings (property): a fleet on the virtual clock keeps its
 * devices in a SQLite-backed {@link SqliteStateStore}; after every commit the file holds exactly
 * the live state (a change that escaped the store's tracking would leave a stale row), and a
 * process "killed" after any commit (the file closed, nothing more written) comes back from the
 * file and goes on exactly as the uninterrupted run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/state/sqlite-state-store.js';
import { StateFile } from '../../src/adapters/state/state-store.js';
import type { DevicePatch } from '../../src/core/device/conditions.js';
import { Simulation, type SimulationSpec } from '../../src/core/simulation.js';
import type { SimulationSnapshot } from '../../src/core/snapshot.js';
import { HOUR } from '../../src/core/time/iso.js';
import type { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { toJsonLine } from '../../src/core/timeline/format.js';
import { loadScenario } from '../../src/scenario/load.js';
import { devicePatchArb } from '../../src/testing/arbitraries.js';
import { fixture } from '../helpers/run-scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'dmpush-state-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PATH = 'fixtures/scenarios/fleet.yaml';
const SPEC: SimulationSpec = loadScenario(readFileSync(fixture(PATH), 'utf8'), {}, PATH);
const IDS = SPEC.devices.map((d) => d.id);

type Step =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'set'; readonly device: number; readonly patch: DevicePatch }
  | { readonly kind: 'reboot'; readonly device: number }
  | { readonly kind: 'kill' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .integer({ min: 0, max: 36 * HOUR })
      .map((ms) => ({ kind: 'advance', ms }) as const),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ device: fc.nat(IDS.length - 1), patch: devicePatchArb })
      .map((s) => ({ kind: 'set', ...s }) as const),
  },
  {
    weight: 1,
    arbitrary: fc.nat(IDS.length - 1).map((device) => ({ kind: 'reboot', device }) as const),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'kill' } as const) },
);

function perform(sim: Simulation, step: Step): void {
  // A scenario run never goes past its end (and a restore refuses a snapshot that did).
  if (step.kind === 'advance')
    (sim.clock as VirtualClock).runUntil(Math.min(sim.clock.now() + step.ms, SPEC.end));
  else if (step.kind === 'set')
    sim.perform({ kind: 'set', devices: [IDS[step.device] as string], patch: step.patch });
  else if (step.kind === 'reboot')
    sim.perform({ kind: 'reboot', devices: [IDS[step.device] as string] });
}

/** The simulation the file holds, as `Simulation.restore` takes it. */
function fromFile(store: SqliteStateStore): SimulationSnapshot {
  const saved = store.read();
  const rows = saved.rows.get('device') ?? new Map<string, string>();
  return {
    ...(JSON.parse(saved.meta.get('simulation') as string) as object),
    devices: IDS.map((id) => JSON.parse(rows.get(id) as string) as unknown),
  } as unknown as SimulationSnapshot;
}

/** The file holds exactly what the live simulation would save now. */
function expectFileEqualsLive(store: SqliteStateStore, sim: Simulation): void {
  const saved = store.read();
  const rows = saved.rows.get('device') ?? new Map<string, string>();
  expect([...rows.keys()].sort()).toEqual([...IDS].sort());
  for (const id of IDS) expect(rows.get(id), id).toBe(JSON.stringify(sim.saveDevice(id)));
  expect(saved.meta.get('simulation')).toBe(JSON.stringify(sim.saveGlobals()));
}

let runs = 0;
function open(): { file: string; store: SqliteStateStore } {
  const file = join(dir, `state-${runs++}.db`);
  return { file, store: new SqliteStateStore(StateFile.open(file), { schedule: () => undefined }) };
}

describe('the SQLite state store under random changes and kills (property)', () => {
  it('holds the live state after every commit, and a kill after any commit loses nothing', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), (steps) => {
        // The uninterrupted run, in memory.
        const plain = new MemorySink();
        const reference = new Simulation(SPEC, plain);
        reference.start();
        for (const step of steps) perform(reference, step);

        // The same steps on a durable store, killed and restored at every `kill`.
        const sink = new MemorySink();
        const { file, store: first } = open();
        let store = first;
        let sim = new Simulation(SPEC, sink, { store });
        sim.start();
        store.commit();
        for (const step of steps) {
          if (step.kind !== 'kill') {
            perform(sim, step);
            store.commit();
            expectFileEqualsLive(store, sim);
            continue;
          }
          // kill -9 after the last commit: the file is all that is left.
          const data = JSON.parse(JSON.stringify(fromFile(store))) as SimulationSnapshot;
          (store as unknown as { file: StateFile }).file.close();
          store = new SqliteStateStore(StateFile.open(file), { schedule: () => undefined });
          sim = Simulation.restore(SPEC, data, sink, { store });
          store.commit();
          expectFileEqualsLive(store, sim);
        }
        expect(sink.events.map(toJsonLine)).toEqual(plain.events.map(toJsonLine));
        expect(JSON.stringify(sim.snapshot())).toBe(JSON.stringify(reference.snapshot()));
        store.close();
      }),
      { numRuns: 40 },
    );
  });
});
