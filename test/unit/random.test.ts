import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom, streamFor, streamSeed } from '../../src/core/random/random.js';

const draws = (r: SeededRandom, n: number): number[] =>
  Array.from({ length: n }, () => r.int(0, 1_000_000));

const idArb = fc.string({ minLength: 1, maxLength: 12 });
const runSeedArb = fc.integer();

describe('per-device streams', () => {
  it('same (run seed, device id) ⇒ the same sequence', () => {
    fc.assert(
      fc.property(runSeedArb, idArb, (seed, id) => {
        expect(draws(streamFor(seed, id), 20)).toEqual(draws(streamFor(seed, id), 20));
        expect(streamSeed(seed, id)).toBe(streamSeed(seed, id));
      }),
    );
  });

  it("a device's sequence does not depend on other devices' streams being created or used", () => {
    fc.assert(
      fc.property(
        runSeedArb,
        idArb,
        fc.array(idArb, { maxLength: 5 }),
        fc.array(fc.nat({ max: 4 }), { maxLength: 30 }),
        (seed, id, others, interleave) => {
          const alone = draws(streamFor(seed, id), 30);
          // The same device, its draws interleaved with draws from other devices' streams.
          const mine = streamFor(seed, id);
          const theirs = others.map((o) => streamFor(seed, o));
          const mixed: number[] = [];
          for (let i = 0; i < 30; i++) {
            for (const t of theirs.slice(0, interleave[i] ?? 0)) t.int(0, 1_000_000);
            mixed.push(mine.int(0, 1_000_000));
          }
          expect(mixed).toEqual(alone);
        },
      ),
    );
  });

  it('different devices (or run seeds) get different streams', () => {
    fc.assert(
      fc.property(runSeedArb, idArb, idArb, (seed, a, b) => {
        fc.pre(a !== b);
        expect(draws(streamFor(seed, a), 8)).not.toEqual(draws(streamFor(seed, b), 8));
      }),
    );
    fc.assert(
      fc.property(runSeedArb, runSeedArb, idArb, (s1, s2, id) => {
        fc.pre(s1 !== s2);
        expect(draws(streamFor(s1, id), 8)).not.toEqual(draws(streamFor(s2, id), 8));
      }),
    );
  });

  it('consecutive run seeds give well-spread first draws (as in `--seed 1`, `--seed 2`…)', () => {
    const firsts = Array.from({ length: 1000 }, (_, s) => streamFor(s, 'device:d1').float());
    const buckets = new Array<number>(10).fill(0);
    for (const f of firsts) {
      const k = Math.floor(f * 10);
      buckets[k] = (buckets[k] ?? 0) + 1;
    }
    for (const count of buckets) {
      expect(count).toBeGreaterThan(60);
      expect(count).toBeLessThan(140);
    }
  });

  it('a stream can be saved and restored exactly', () => {
    fc.assert(
      fc.property(runSeedArb, idArb, fc.nat({ max: 50 }), (seed, id, skip) => {
        const r = streamFor(seed, id);
        draws(r, skip);
        const restored = new SeededRandom(r.state());
        expect(draws(restored, 10)).toEqual(draws(r, 10));
      }),
    );
  });
});

describe('SeededRandom.int and float', () => {
  it('int(min, max) stays within both bounds, which are included', () => {
    fc.assert(
      fc.property(
        runSeedArb,
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        // Spans on both sides of 2^31, where int() switches from uniformInt to a float draw.
        fc.oneof(
          fc.integer({ min: 0, max: 100 }),
          fc.integer({ min: 0x7fffff00, max: 0x800000ff }),
          fc.integer({ min: 0, max: 2 ** 40 }),
        ),
        (seed, min, span) => {
          const r = streamFor(seed, 'x');
          for (let i = 0; i < 20; i++) {
            const v = r.int(min, min + span);
            expect(Number.isInteger(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(min);
            expect(v).toBeLessThanOrEqual(min + span);
          }
        },
      ),
    );
  });

  it('both ends of a small range are reached', () => {
    const r = streamFor(7, 'bounds');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(r.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
    const one = streamFor(7, 'single');
    for (let i = 0; i < 10; i++) expect(one.int(42, 42)).toBe(42);
  });

  it('float() is in [0, 1)', () => {
    fc.assert(
      fc.property(runSeedArb, idArb, (seed, id) => {
        const r = streamFor(seed, id);
        for (let i = 0; i < 20; i++) {
          const f = r.float();
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThan(1);
        }
      }),
    );
  });
});

describe('regression: SeededRandom barely mixed small integer seeds', () => {
  it('first draws of seeds 0..199 spread over the range', () => {
    const draws = Array.from({ length: 200 }, (_, s) => new SeededRandom(s).int(0, 7_200_000));
    const spread = Math.max(...draws) - Math.min(...draws);
    expect(spread).toBeGreaterThan(6_000_000);
    expect(draws.filter((d) => d < 3_600_000).length).toBeGreaterThan(60);
    expect(draws.filter((d) => d >= 3_600_000).length).toBeGreaterThan(60);
  });
});
