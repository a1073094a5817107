// What the CPU kernels' reference tests share: the dropout hash and the bf16 rounding written out
// in TypeScript (as native/kernels/cpu/dropout.h and vector_math.h compute them), and the float32
// and bf16 rounding units their tolerances are made of.

/** The addon's arrays come from Node's main realm, jest's from its vm context: compare values. */
export const values = (a: ArrayLike<number>): number[] => Array.from(a);

/** float32's relative spacing at 1. */
export const ULP = 2 ** -23;
/** bf16's largest relative rounding error (7 stored bits). */
export const HALF_BF16 = 2 ** -8;

/** "lowbias32", dropout.h's mix32. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** dropout.h's keep_hash(seed, index): element index is kept when this is >= round(p * 2^32). */
export function keepHash(seed: bigint, index: number): number {
  const low = Number(seed & 0xffffffffn);
  const high = Number(seed >> 32n);
  return mix32((mix32((index ^ low) >>> 0) + high) >>> 0);
}

/** float32 -> bf16 -> float32, round to nearest even (finite inputs). */
export function bf16(value: number): number {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
  const rounded = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(new Uint32Array([rounded >>> 0]).buffer)[0];
}
