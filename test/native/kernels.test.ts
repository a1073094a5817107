// The hand-written CPU kernels against plain TypeScript versions of the same arithmetic (llm.c
// style: the fast kernel, then the obvious loop, compared exactly), plus what the plain version
// cannot show: the mask's statistics, and that the seed comes from the seeded generator.
//
// native/kernels/cpu/dropout.h: element i is kept when keep_hash(seed, i) >= round(p * 2^32),
// and a kept value is scaled by 1 / (1 - p) in float32 (then rounded to the tensor's dtype).
import { manualSeed } from '../../ts/random';
import { native } from '../../ts/native';
import { TrainingSession } from '../../ts/training-session';
import { setNumThreads } from '../../ts/info';
import { tinyModel } from '../helpers/tiny-model';
import { rng, toyBatch } from '../helpers/batches';
import { bf16, keepHash, mix32, ULP, values } from '../helpers/kernel-reference';

const kernels = () => native().kernels;

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
    const trainer = new TrainingSession(model);
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

// native/kernels/cpu/gelu_new.h: gelu_new(x) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3),
// in float32 with a polynomial exp. Checked against that formula in float64 (written with exp,
// not as HF's 0.5 x (1 + tanh(u)), which cancels to 0 in float64 below x ~ -7), and against
// aten's gelu(x, "tanh"), which computes the tanh form in float32.
describe('gelu_new', () => {
  const BETA = Math.sqrt(2 / Math.PI);
  const KAPPA = 0.044715;
  const expMinus2u = (x: number) => Math.exp(-2 * BETA * (x + KAPPA * x ** 3));
  const exact = (x: number) => x / (1 + expMinus2u(x));
  const exactSlope = (x: number) => {
    const e = expMinus2u(x);
    const s = 1 / (1 + e); // sigmoid(2u)
    const complement = 1 / (1 + 1 / e); // 1 - s, exact where s rounds to 1 (and 1 where e overflows)
    return s + x * s * complement * 2 * BETA * (1 + 3 * KAPPA * x * x);
  };
  const n = 100_003;
  // every magnitude a layer sees, and the edges: 0, tiny, around the exp's clamp (|x| ~ 12), huge
  const input = Float32Array.from({ length: n }, (_, i) => {
    const edges = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 11.9, -11.9, 12.5, -12.5, 30, -30, 100, -100, 1e20, -1e20];
    if (i < edges.length) return edges[i];
    const u = (i / n) * 2 - 1;
    return i % 3 === 0 ? u * 16 : u * 4;
  });
  const next = rng(9);
  const upstream = Float32Array.from({ length: n }, () => (next() - 0.5) * 4);
  const worstError = (got: Float32Array, want: (i: number) => number, tolerance: (i: number) => number) => {
    let worst = 0;
    for (let i = 0; i < n; i++) if (tolerance(i) !== Infinity) worst = Math.max(worst, Math.abs(got[i] - want(i)) / tolerance(i));
    return worst;
  };

  // e^z with z = 2u rounded to float32 is off by up to |z| ulps, so the bound is (4 + |2u|) ulps
  // of the value (of 2^-20 where the value is smaller).
  test('forward: within (4 + |2u|) ulps of the float64 value, and of aten within its own error', () => {
    const fast = kernels().geluNew(input);
    const aten = kernels().geluNew(input, 'aten');
    const twoU = (x: number) => 2 * BETA * Math.abs(x + KAPPA * x ** 3);
    const tolerance = (i: number) => (4 + twoU(input[i])) * ULP * Math.max(Math.abs(exact(input[i])), 2 ** -20);
    expect(worstError(fast, (i) => exact(input[i]), tolerance)).toBeLessThanOrEqual(1);
    // aten's tanh form loses up to |x|/2 ulps of 1 to cancellation for negative x (it gives 0
    // where the value is -1.2e-7, at x = -5.09)
    expect(worstError(fast, (i) => aten[i], (i) => 8 * ULP * Math.abs(aten[i]) + (ULP / 2) * Math.abs(input[i]) + 1e-30)).toBeLessThanOrEqual(1);
    expect(Number.isNaN(kernels().geluNew(Float32Array.from([NaN, 1]))[0])).toBe(true);
  });

  test('backward: upstream x the float64 slope, within 4 ulps and 1 ulp of |upstream| (the slope crosses 0 near x = -0.75)', () => {
    const finite = (i: number) => Math.abs(input[i]) < 1e6; // beyond, x^3 overflows float32 (aten: NaN)
    const want = (i: number) => (finite(i) ? upstream[i] * exactSlope(input[i]) : 0);
    const tolerance = (i: number) => (finite(i) ? 4 * ULP * Math.abs(want(i)) + ULP * Math.abs(upstream[i]) : Infinity);
    const fast = kernels().geluNewGrad(input, upstream);
    expect(worstError(fast, want, tolerance)).toBeLessThanOrEqual(1);
    // aten is off by up to ~1e-6 of |upstream| around |x| = 5 (1 - tanh^2 cancels); within that of each other
    const aten = kernels().geluNewGrad(input, upstream, 'aten');
    expect(worstError(fast, (i) => aten[i], (i) => (finite(i) ? 2e-6 * Math.abs(upstream[i]) + 1e-30 : Infinity))).toBeLessThanOrEqual(1);
  });
});

// native/kernels/cpu/rows.h: the row copies that pack tokens, against plain loops (exact).
describe('gather and scatter rows', () => {
  const n = 700;
  const cols = 37; // rows of odd byte length
  const next = rng(21);
  const matrix = Float32Array.from({ length: n * cols }, () => (next() - 0.5) * 8);
  // every third row and a few others, ascending and distinct, as a packing's rows are
  const index = Int32Array.from([...Array(n).keys()].filter((r) => r % 3 === 0 || r === n - 1));
  const R = index.length;
  const packed = Float32Array.from({ length: R * cols }, () => (next() - 0.5) * 8);
  const gather = (m: Float32Array) => Float32Array.from({ length: R * cols }, (_, i) => m[index[Math.floor(i / cols)] * cols + (i % cols)]);
  const scatter = (p: Float32Array) => {
    const out = new Float32Array(n * cols);
    index.forEach((row, r) => out.set(p.subarray(r * cols, (r + 1) * cols), row * cols));
    return out;
  };

  test.each(['fp32', 'bf16'] as const)('gather and scatter: exactly the plain loops (%s)', (dtype) => {
    const m = dtype === 'bf16' ? matrix.map(bf16) : matrix;
    const p = dtype === 'bf16' ? packed.map(bf16) : packed;
    expect(values(kernels().gatherRows(m, cols, index, dtype))).toEqual(values(gather(m)));
    expect(values(kernels().scatterRows(p, cols, index, n, dtype))).toEqual(values(scatter(p)));
  });

  test("each one is the other one's gradient", () => {
    const upstreamPacked = Float32Array.from({ length: R * cols }, () => next());
    const upstreamMatrix = Float32Array.from({ length: n * cols }, () => next());
    expect(values(kernels().gatherRowsGrad(matrix, cols, index, upstreamPacked))).toEqual(values(scatter(upstreamPacked)));
    expect(values(kernels().scatterRowsGrad(packed, cols, index, n, upstreamMatrix))).toEqual(values(gather(upstreamMatrix)));
  });

  test('an index outside the rows is refused, not read', () => {
    expect(() => kernels().gatherRows(matrix, cols, Int32Array.from([0, n]))).toThrow(/outside \[0, 700\)/);
    expect(() => kernels().scatterRows(packed, cols, index, 5)).toThrow(/outside \[0, 5\)/);
    expect(() => kernels().gatherRows(matrix, cols, Int32Array.from([-1]))).toThrow(/outside/);
  });
});
