/**
 * Deterministic randomness for the generator: a seeded sfc32 stream (fast, 32-bit
 * integer arithmetic only, passes PractRand far beyond what we draw) and a stateless
 * 32-bit mixer for ids derived from an index. The generator and the simulator draw
 * from the same stream type.
 *
 * @module
 */

/** A seeded pseudo-random stream: the same seed always yields the same numbers. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Seeds the stream from a 32-bit integer (any integer is reduced to 32 bits). */
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed | 0;
    // Discard the first outputs: sfc32 needs a few rounds to mix a small seed in.
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  /** The next unsigned 32-bit integer. */
  nextU32(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const rotated = (c << 21) | (c >>> 11);
    this.#c = (rotated + t) | 0;
    return t >>> 0;
  }

  /** The next float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
}

/**
 * Mixes a 32-bit integer into a well-spread 32-bit value (murmur3's finalizer). It is
 * a bijection, so distinct inputs give distinct outputs: ids derived from distinct
 * indexes never collide.
 */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A random number in [0, 1). */
export type Random = () => number;

/** A seeded {@linkcode Random} (a {@linkcode Prng} stream), for reproducible runs and tests. */
export function seededRandom(seed: number): Random {
  const prng = new Prng(seed);
  return () => prng.next();
}
