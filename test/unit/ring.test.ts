import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/core/util/ring.js';

describe('Ring', () => {
  it('keeps the newest `capacity` items, oldest first, whatever was pushed and cleared', () => {
    const op = fc.oneof(
      fc.integer().map((n) => ({ push: n })),
      fc.constant({ clear: true }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 40 }), (cap, ops) => {
        const ring = new Ring<number>(cap);
        let model: number[] = [];
        for (const o of ops) {
          if ('push' in o) {
            ring.push(o.push);
            model = [...model, o.push].slice(-cap);
          } else {
            ring.clear();
            model = [];
          }
          expect(ring.toArray()).toEqual(model);
          expect(ring.length).toBe(model.length);
          expect(ring.toArray((n) => n % 2 === 0)).toEqual(model.filter((n) => n % 2 === 0));
        }
      }),
    );
  });

  it('refuses a capacity that is not a whole number >= 1, naming it', () => {
    expect(() => new Ring(0)).toThrow(/ring capacity must be a whole number >= 1, got 0/);
    expect(() => new Ring(2.5)).toThrow(/got 2.5/);
  });
});
