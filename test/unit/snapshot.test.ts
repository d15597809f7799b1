import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { Simulation, type SimulationSpec } from '../../src/core/simulation.js';
import { parseSnapshot, type SimulationSnapshot } from '../../src/core/snapshot.js';
import { formatPath } from '../../src/core/validation.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { toJsonLine } from '../../src/core/timeline/format.js';
import { loadScenario } from '../../src/scenario/load.js';
import { fixture } from '../helpers/run-scenario.js';

const FIXTURES = [
  ...readdirSync(fixture('fixtures/demos'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `fixtures/demos/${f}`),
  'fixtures/scenarios/basic.yaml',
  'fixtures/scenarios/fleet.yaml',
  'fixtures/serve/fleet.yaml',
];

/** Device fields added after version 1 was first written: older snapshots lack them. */
const ADDED_LATER = new Set([
  'screen',
  'poweredOff',
  'held',
  'routineCursor',
  'pollDelayed',
  'routine',
  'hold',
  // Written only when not the default (older snapshots read the same).
  'wnsPushService',
  'revocations',
  'revoked',
]);
/** Fields of a cached notification written only when present. */
const CACHED_ADDED_LATER = new Set(['expiry', 'priority']);

const specs = new Map<string, SimulationSpec>();
function spec(path: string): SimulationSpec {
  let s = specs.get(path);
  if (!s) specs.set(path, (s = loadScenario(readFileSync(fixture(path), 'utf8'), {}, path)));
  return s;
}

const lines = (sink: MemorySink): string[] => sink.events.map((e) => toJsonLine(e));

const full = new Map<string, { lines: string[]; end: SimulationSnapshot }>();
/** Run A: start to end in one go (its lines and its final state). */
function straightRun(path: string): { lines: string[]; end: SimulationSnapshot } {
  let out = full.get(path);
  if (!out) {
    const sink = new MemorySink();
    const sim = new Simulation(spec(path), sink);
    sim.run();
    full.set(path, (out = { lines: lines(sink), end: sim.snapshot() }));
  }
  return out;
}
const straight = (path: string): string[] => straightRun(path).lines;

/** Run B to `cut`, snapshot through JSON; returns B's lines and the data. */
function cutAt(path: string, cut: number): { before: string[]; data: unknown } {
  const sink = new MemorySink();
  const b = new Simulation(spec(path), sink);
  b.run(cut);
  return { before: lines(sink), data: JSON.parse(JSON.stringify(b.snapshot())) as unknown };
}

function resume(path: string, data: unknown): { sim: Simulation; after: string[] } {
  const sink = new MemorySink();
  const sim = Simulation.restore(spec(path), data, sink);
  sim.run();
  return { sim, after: lines(sink) };
}

describe('snapshot and restore', () => {
  it('continues exactly as the uninterrupted run (property, every fixture)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (path, fraction) => {
          const s = spec(path);
          const cut = s.start + Math.floor((s.end - s.start) * fraction);
          const { before, data } = cutAt(path, cut);
          const { sim, after } = resume(path, data);
          expect([...before, ...after]).toEqual(straight(path));
          // Not only the timeline: the final state (timers and their ranks included) is the same.
          expect(sim.snapshot()).toEqual(straightRun(path).end);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('survives several cuts in a row (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        (path, fractions) => {
          const s = spec(path);
          const cuts = fractions
            .map((f) => s.start + Math.floor((s.end - s.start) * f))
            .sort((x, y) => x - y);
          const out: string[] = [];
          let sink = new MemorySink();
          let sim = new Simulation(s, sink);
          for (const cut of cuts) {
            sim.run(cut);
            out.push(...lines(sink));
            const data = JSON.parse(JSON.stringify(sim.snapshot())) as unknown;
            sink = new MemorySink();
            sim = Simulation.restore(s, data, sink);
          }
          sim.run();
          out.push(...lines(sink));
          expect(out).toEqual(straight(path));
        },
      ),
      { numRuns: 100 },
    );
  });

  it.each(FIXTURES)('%s: cuts at start, at end and at event instants', (path) => {
    const s = spec(path);
    const a = straight(path);
    const instants = new Set<number>([s.start, s.end]);
    for (const line of a) instants.add(Date.parse((JSON.parse(line) as { time: string }).time));
    const sample = [...instants]
      .sort((x, y) => x - y)
      .filter((_, i, all) => i % Math.ceil(all.length / 25) === 0 || i === all.length - 1);
    for (const cut of sample) {
      const { before, data } = cutAt(path, cut);
      expect(
        [...before, ...resume(path, data).after],
        `cut at ${new Date(cut).toISOString()}`,
      ).toEqual(a);
    }
  });

  it('restores a snapshot of a simulation that was never started', () => {
    const path = 'fixtures/scenarios/fleet.yaml';
    const data = JSON.parse(
      JSON.stringify(new Simulation(spec(path), new MemorySink()).snapshot()),
    ) as unknown;
    expect(resume(path, data).after).toEqual(straight(path));
  });

  it('gives the same continuation when restored twice from the same data', () => {
    const path = 'fixtures/scenarios/fleet.yaml';
    const s = spec(path);
    const { data } = cutAt(path, s.start + (s.end - s.start) / 3);
    const first = resume(path, data);
    const second = resume(path, data);
    expect(second.after).toEqual(first.after);
    expect(second.sim.snapshot()).toEqual(first.sim.snapshot());
  });

  it('round-trips: a snapshot taken right after restore equals the data restored', () => {
    for (const path of FIXTURES) {
      const s = spec(path);
      for (const fraction of [0, 0.25, 0.5, 0.9, 1]) {
        const { data } = cutAt(path, s.start + Math.floor((s.end - s.start) * fraction));
        const again = JSON.parse(
          JSON.stringify(Simulation.restore(s, data, new MemorySink()).snapshot()),
        ) as unknown;
        expect(again, `${path} at ${fraction}`).toEqual(data);
      }
    }
  });

  describe('bad data', () => {
    const path = 'fixtures/scenarios/fleet.yaml';
    const good = (): SimulationSnapshot & Record<string, unknown> => {
      const s = spec(path);
      return cutAt(path, s.start + (s.end - s.start) / 2).data as SimulationSnapshot &
        Record<string, unknown>;
    };
    const issue = (data: unknown): string => {
      try {
        Simulation.restore(spec(path), data, new MemorySink());
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as ValidationError).message;
      }
      throw new Error('restore accepted bad data');
    };

    it('rejects a wrong version', () => {
      expect(issue({ ...good(), version: 1 })).toMatch(/^snapshot\.version: expected 2, got 1/);
      expect(issue('nope')).toMatch(/^snapshot: expected an object/);
    });

    it('rejects an unknown device id', () => {
      const data = good();
      const devices = data.devices.map((d, i) => (i === 3 ? { ...d, id: 'ghost' } : d));
      expect(issue({ ...data, devices })).toMatch(/^snapshot\.devices\[3\]\.id: .*"ghost"/);
      const wns = data.wns as NonNullable<typeof data.wns>;
      const wnsDevices = wns.devices.map((d, i) => (i === 0 ? { ...d, id: 'ghost' } : d));
      expect(issue({ ...data, wns: { ...wns, devices: wnsDevices } })).toMatch(
        /^snapshot\.wns\.devices\[0\]\.id: expected a device id of the spec, got "ghost"/,
      );
      expect(
        issue({ ...data, devices: [...data.devices, { ...data.devices[0], id: 'extra' }] }),
      ).toMatch(/^snapshot\.devices\[21\]\.id: expected a device id of the spec, got "extra"/);
    });

    it('rejects missing fields, naming their path', () => {
      const data = good();
      const { power: _power, ...rest } = data.devices[2] as unknown as Record<string, unknown>;
      const devices = data.devices.map((d, i) => (i === 2 ? rest : d));
      expect(issue({ ...data, devices })).toMatch(
        /^snapshot\.devices\[2\]\.power: expected an object, got nothing/,
      );
      const { level: _level, ...power } = data.devices[1]!.power;
      const devices2 = data.devices.map((d, i) => (i === 1 ? { ...d, power } : d));
      expect(issue({ ...data, devices: devices2 })).toMatch(
        /^snapshot\.devices\[1\]\.power\.level: expected a finite number, got nothing/,
      );
      const { mdm: _mdm, ...noMdm } = data;
      expect(issue(noMdm)).toMatch(/^snapshot\.mdm: expected an object, got nothing/);
      expect(issue({ ...data, seed: 12 })).toMatch(/^snapshot\.seed: /);
    });
  });
});

describe('parseSnapshot on damaged data', () => {
  const context = (path: string, overdue = false) => {
    const s = spec(path);
    return {
      seed: s.seed,
      deviceIds: s.devices.map((d) => d.id),
      actionCount: s.actions.length,
      overdue,
    };
  };
  const FRACTIONS = [0, 0.3, 0.7, 1];
  const saved = new Map<string, unknown>();
  /** A real snapshot of `path` (its run cut at `fraction`), through JSON. */
  const real = (path: string, fraction: number): unknown => {
    const key = `${path}@${fraction}`;
    let data = saved.get(key);
    if (data === undefined) {
      const s = spec(path);
      saved.set(key, (data = cutAt(path, s.start + Math.floor((s.end - s.start) * fraction)).data));
    }
    return data;
  };

  type Slot = {
    parent: Record<string, unknown> | unknown[];
    key: string | number;
    path: PropertyKey[];
  };
  /** Every place in `data` that holds a value (object fields and list items), parents first. */
  const slots = (data: unknown, path: PropertyKey[] = [], out: Slot[] = []): Slot[] => {
    if (Array.isArray(data))
      data.forEach((v, i) => {
        out.push({ parent: data, key: i, path: [...path, i] });
        slots(v, [...path, i], out);
      });
    else if (data !== null && typeof data === 'object')
      for (const [k, v] of Object.entries(data)) {
        out.push({ parent: data as Record<string, unknown>, key: k, path: [...path, k] });
        slots(v, [...path, k], out);
      }
    return out;
  };
  /**
   * A change to a snapshot: at a place chosen by depth first (so top-level parts are hit as often
   * as leaves), delete the value, replace it by any JSON value, by null, or by the value of another
   * place.
   */
  const mutation = fc.record({
    depth: fc.nat(),
    at: fc.nat(),
    kind: fc.constantFrom('delete', 'replace', 'null', 'copy'),
    value: fc.jsonValue(),
    from: fc.nat(),
  });
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
  const valueAt = (slot: Slot | undefined): unknown =>
    slot && structuredClone((slot.parent as Record<PropertyKey, unknown>)[slot.key]);
  const mutate = (data: unknown, mutations: readonly Mutation[]): unknown => {
    const copy = structuredClone(data);
    for (const m of mutations) {
      const all = slots(copy);
      const deepest = Math.max(...all.map((x) => x.path.length));
      const level = all.filter((x) => x.path.length === 1 + (m.depth % deepest));
      const slot = level[m.at % level.length];
      if (!slot) break;
      const { parent, key } = slot;
      const value =
        m.kind === 'copy' ? valueAt(all[m.from % all.length]) : m.kind === 'null' ? null : m.value;
      if (m.kind === 'delete' && Array.isArray(parent)) parent.splice(key as number, 1);
      else if (m.kind === 'delete') delete (parent as Record<string, unknown>)[key];
      else (parent as Record<PropertyKey, unknown>)[key] = value;
    }
    return copy;
  };
  /** Runs parseSnapshot; returns its issues, or null when it accepted the data. */
  const issuesOf = (data: unknown, ctx: ReturnType<typeof context>): readonly string[] | null => {
    try {
      parseSnapshot(data, ctx);
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      const issues = (e as ValidationError).issues;
      expect(issues.length).toBeGreaterThan(0);
      for (const line of issues) expect(line).toMatch(/^snapshot([.[][^\n]*)?: \S/);
      return issues;
    }
  };

  it('accepts every real snapshot as it is (property, every fixture)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (path, fraction, overdue) => {
          const s = spec(path);
          const { data } = cutAt(path, s.start + Math.floor((s.end - s.start) * fraction));
          expect(parseSnapshot(data, context(path, overdue))).toEqual(data);
          // A simulation that ran on live ports saves no in-process WNS cloud or MDM.
          const live = { ...(data as object), wns: null, mdm: null };
          expect(parseSnapshot(live, context(path, overdue))).toEqual(live);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('throws nothing but ValidationError on mutated snapshots (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.constantFrom(...FRACTIONS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (path, fraction, mutations, overdue) => {
          issuesOf(mutate(real(path, fraction), mutations), context(path, overdue));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws nothing but ValidationError on any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(issuesOf(value, context('fixtures/scenarios/basic.yaml'))).not.toBeNull();
      }),
    );
  });

  it('rejects any field deleted, naming its path (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.constantFrom(...FRACTIONS),
        fc.nat(),
        (path, fraction, at) => {
          const data = structuredClone(real(path, fraction));
          // Fields added after the first snapshots may be absent (older snapshots load).
          const fields = slots(data).filter(
            (s) =>
              !Array.isArray(s.parent) &&
              !ADDED_LATER.has(String(s.key)) &&
              !(CACHED_ADDED_LATER.has(String(s.key)) && s.path.at(-2) === 'cached'),
          );
          const slot = fields[at % fields.length] as Slot;
          delete (slot.parent as Record<string, unknown>)[slot.key];
          const issues = issuesOf(data, context(path)) ?? ['(accepted)'];
          const where = `${formatPath(slot.path, 'snapshot')}: `;
          expect(issues[0]?.startsWith(where), `${where}\n${issues.join('\n')}`).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("snapshot of a device's DM tree", () => {
  it('keeps what a server stored in the tree (not only the bound Push and Poll nodes)', () => {
    const s = spec('fixtures/scenarios/basic.yaml');
    const sim = new Simulation(s, new MemorySink());
    sim.run(s.start + 86_400_000);
    const uri = './Vendor/MSFT/DMClient/Provider/DMPUSH/Poll/PollOnLogin';
    const tree = sim.device('laptop')?.tree;
    const outcome = tree?.run({
      kind: 'Replace',
      cmdId: '1',
      items: [{ target: uri, data: 'true' }],
    });
    expect(outcome?.statuses[0]?.code).toBe(200);
    const data = JSON.parse(JSON.stringify(sim.snapshot())) as unknown;
    const restored = Simulation.restore(s, data, new MemorySink());
    expect(restored.device('laptop')?.tree.read(uri)).toBe('true');
    expect(restored.snapshot()).toEqual(sim.snapshot());
  });

  it('keeps SyncApplicationVersion 2.0, which still cannot go back after the restore', () => {
    const s = spec('fixtures/scenarios/basic.yaml');
    const uri = './Vendor/MSFT/DMClient/Provider/DMPUSH/SyncApplicationVersion';
    const replace = (on: Simulation, data: string): number | undefined =>
      on.device('laptop')?.tree.run({ kind: 'Replace', cmdId: '1', items: [{ target: uri, data }] })
        .statuses[0]?.code;
    const sim = new Simulation(s, new MemorySink());
    expect(replace(sim, '2.0')).toBe(200);
    const data = JSON.parse(JSON.stringify(sim.snapshot())) as unknown;
    const restored = Simulation.restore(s, data, new MemorySink());
    expect(restored.device('laptop')?.tree.read(uri)).toBe('2.0');
    expect(replace(restored, '1.0')).toBe(403);
  });
});
