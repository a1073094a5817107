// The hand-written CPU kernels against plain TypeScript versions of the same arithmetic (llm.c
// style: the fast kernel, then the obvious loop, compared exactly), plus what the plain version
// cannot show: the mask's statistics, and that the seed comes from the seeded generator.
//
// native/kernels/cpu/dropout.h: element i is kept when keep_hash(seed, i) >= round(p * 2^32),
// and a kept value is scaled by 1 / (1 - p) in float32 (then rounded to the tensor's dtype).
import { manualSeed } from '../../ts/random';
import { native } from '../../ts/native';
import { Trainer } from '../../ts/trainer';
import { setNumThreads } from '../../ts/info';
import { rng, tinyModel, toyBatch } from '../helpers/fixtures';

const kernels = () => native().kernels;
// The addon's arrays come from Node's main realm, jest's from its vm context: compare values.
const values = (a: ArrayLike<number>) => Array.from(a);

function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function keepHash(seed: bigint, index: number): number {
  const low = Number(seed & 0xffffffffn);
  const high = Number(seed >> 32n);
  return mix32((mix32((index ^ low) >>> 0) + high) >>> 0);
}

/** float32 -> bf16 -> float32, round to nearest even (finite inputs). */
function bf16(value: number): number {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
  const rounded = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(new Uint32Array([rounded >>> 0]).buffer)[0];
}

function referenceDropout(values: Float32Array, p: number, seed: bigint, round: (v: number) => number = (v) => v): Float32Array {
  const threshold = Math.round(p * 2 ** 32);
  const scale = Math.fround(1 / (1 - p));
  return values.map((v, i) => round(Math.fround(v * (keepHash(seed, i) >= threshold ? scale : 0))));
}

function randomValues(n: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => (next() - 0.5) * 8);
}

const SEEDS = [0n, 1n, 0x123456789abcdefn, 2n ** 64n - 1n];

describe('dropout', () => {
  const n = 100_003; // several parallel chunks, and not a multiple of a vector width

  test.each([0.1, 0.5, 0.9])('fp32: exactly the plain loop (p = %p)', (p) => {
    const input = randomValues(n, 3);
    for (const seed of SEEDS) expect(values(kernels().dropout(input, p, seed))).toEqual(values(referenceDropout(input, p, seed)));
  });

  test('bf16: exactly the plain loop, rounded to bf16', () => {
    const input = randomValues(n, 4).map(bf16); // representable in bf16, so the input cast is exact
    for (const seed of SEEDS) expect(values(kernels().dropout(input, 0.1, seed, 'bf16'))).toEqual(values(referenceDropout(input, 0.1, seed, bf16)));
  });

  test('the same mask with 1 thread as with 2', () => {
    const input = randomValues(n, 5);
    setNumThreads(1);
    const one = kernels().dropout(input, 0.3, 42n);
    setNumThreads(2);
    expect(values(kernels().dropout(input, 0.3, 42n))).toEqual(values(one));
  });

  test('the gradient is the upstream gradient through the same mask and scale', () => {
    const input = randomValues(n, 6);
    const upstream = randomValues(n, 7);
    expect(values(kernels().dropoutGrad(input, upstream, 0.2, 99n))).toEqual(values(referenceDropout(upstream, 0.2, 99n)));
  });

  test.each([0.1, 0.5])('keeps 1 - p of the elements, independently (p = %p)', (p) => {
    const count = 1_000_000;
    const ones = new Float32Array(count).fill(1);
    const a = kernels().dropout(ones, p, 7n).map((v) => (v > 0 ? 1 : 0));
    const b = kernels().dropout(ones, p, 8n).map((v) => (v > 0 ? 1 : 0));
    const kept = a.reduce((s, v) => s + v, 0) / count;
    const sigma = Math.sqrt((p * (1 - p)) / count);
    expect(Math.abs(kept - (1 - p))).toBeLessThan(5 * sigma);
    // neighbours, and the same element under the next seed, are uncorrelated
    const correlation = (x: Float32Array, y: Float32Array) => {
      let sxy = 0;
      for (let i = 0; i < x.length; i++) sxy += (x[i] - (1 - p)) * (y[i] - (1 - p));
      return sxy / x.length / (p * (1 - p));
    };
    expect(Math.abs(correlation(a.subarray(0, count - 1), a.subarray(1)))).toBeLessThan(0.005);
    expect(Math.abs(correlation(a, b))).toBeLessThan(0.005);
  });

  test('p = 0 keeps everything unchanged; p outside [0, 1) is refused', () => {
    const input = randomValues(1000, 8);
    expect(values(kernels().dropout(input, 0, 3n))).toEqual(values(input));
    expect(() => kernels().dropout(input, 1, 3n)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT', message: expect.stringContaining('dropout probability must be in [0, 1), got 1') }));
    expect(() => kernels().dropout(input, -0.1, 3n)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
  });

  test('in the model, the masks follow manualSeed: the same seed gives the same gradients, another seed others', async () => {
    const model = tinyModel({ hidden_dropout_prob: 0.3, attention_probs_dropout_prob: 0.3, classifier_dropout_prob: 0.3 });
    const trainer = new Trainer(model);
    const batch = toyBatch({ batchSize: 4, seqLen: 8 });
    const grads = async (seed: number) => {
      manualSeed(seed);
      return (await trainer.computeGradients(batch)).gradients;
    };
    const first = await grads(11);
    expect(JSON.stringify(await grads(11))).toEqual(JSON.stringify(first));
    const other = await grads(12);
    const name = 'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight';
    expect(values(other[name])).not.toEqual(values(first[name]));
    trainer.dispose();
    model.dispose();
  });
});
