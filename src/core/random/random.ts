import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** The Random port: a seeded stream. The core never calls `Math.random`. */
export interface Random {
  /** A float uniform in [0, 1). */
  float(): number;
  /** An integer uniform in [min, max], both included. */
  int(min: number, max: number): number;
  /** An integer uniform in [0, 2^32): 32 random bits, the cheapest draw. */
  uint32(): number;
}

/** A {@link Random} on pure-rand's xoroshiro128+ generator. */
export class SeededRandom implements Random {
  private rng: JumpableRandomGenerator;

  constructor(seedOrState: number | readonly number[]) {
    // A plain seed is hashed first: xoroshiro128+ seeded with 0, 1, 2… starts almost identically.
    this.rng =
      typeof seedOrState === 'number'
        ? xoroshiro128plus(fnv1a(String(seedOrState), 0x811c9dc5))
        : xoroshiro128plusFromState(seedOrState);
  }

  float(): number {
    return uniformFloat64(this.rng);
  }

  int(min: number, max: number): number {
    // uniformInt covers 32-bit ranges; compose two draws for wider spans (millisecond windows are < 2^31).
    if (max - min <= 0x7fffffff) return uniformInt(this.rng, min, max);
    return min + Math.floor(this.float() * (max - min + 1));
  }

  uint32(): number {
    return this.rng.next() >>> 0;
  }

  /** The generator state, to persist and restore a stream exactly. */
  state(): readonly number[] {
    return this.rng.getState();
  }

  /** Puts the stream back to a state {@link state} returned: it goes on with the same draws. */
  setState(state: readonly number[]): void {
    this.rng = xoroshiro128plusFromState(state);
  }
}

/** FNV-1a over a string, 32 bits: a stable seed from text. */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * The seed of an independent stream named `name` within the run seeded `runSeed`. Deriving one
 * stream per device from (run seed, device id) means adding or removing a device never changes
 * another device's draws.
 */
export function streamSeed(runSeed: number, name: string): number {
  return fnv1a(`${runSeed}\u0000${name}`, 0x811c9dc5);
}

/** A fresh {@link SeededRandom} for the stream `name` of run `runSeed`. */
export function streamFor(runSeed: number, name: string): SeededRandom {
  return new SeededRandom(streamSeed(runSeed, name));
}
