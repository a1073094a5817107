// native/kernels/cpu/attention_softmax.h: attention_probs, the scale + key mask + softmax + dropout
// of attention in one differentiable op, against its formula in float64 and against the aten
// composition it replaces (the binding's impl 'aten': fast_dropout(softmax(masked scores * scale))),
// forward and backward through autograd, in float32 and bf16:
//   y = softmax(where(keep, s * scale, -inf)),  out = y * keep(seed, i) / (1 - p)
//   g = upstream * keep(seed, i) / (1 - p),     d(s) = scale * y * (g - sum_row(g * y))
// keep(seed, i) is dropout.h's counter-based mask (keep_hash(seed, i) >= round(p * 2^32), i the flat
// index), reproduced here as in kernels.test.ts. A row whose keys are all masked gives zeros and no
// gradient (aten gives NaN there, so those rows are left out of the comparisons with aten). The
// binding rounds scores and upstream to bf16 for 'bf16'; the references start from the same values.
import { native } from '../../ts/native';
import { rng } from '../helpers/batches';
import { bf16, HALF_BF16, keepHash, mix32, ULP, values } from '../helpers/kernel-reference';

const kernels = () => native().kernels;
const TINY = 1e-37; // exp's clamp at e^-87 (~1.6e-38) where the true value underflows
type Dtype = 'fp32' | 'bf16';
type Shape = [number, number, number, number];

const cast = (dtype: Dtype) => (dtype === 'bf16' ? bf16 : (v: number) => v);

/** Fails naming the worst element where |got - want| exceeds its tolerance (NaN fails too). */
function expectWithin(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: (i: number) => number, skip = (_i: number) => false) {
  expect(got.length).toBe(want.length);
  let worst = 1;
  let detail = 'within';
  for (let i = 0; i < got.length; i++) {
    if (skip(i)) continue;
    const diff = Math.abs(got[i] - want[i]);
    const ratio = diff === 0 ? 0 : diff / tolerance(i); // exact (masked keys, dropped values) needs no tolerance
    if (!(ratio <= worst)) {
      worst = Number.isNaN(ratio) ? Infinity : ratio;
      detail = `off by ${ratio.toPrecision(3)} tolerances at [${i}]: got ${got[i]}, want ${want[i]} ± ${tolerance(i)}`;
    }
  }
  expect(`${what}: ${detail}`).toBe(`${what}: within`);
}

type MaskKind = 'none' | 'key' | 'query';
// [B, N, Tq, T, mask, scale]: T = 1, vector tails (5, 17), one AVX-512 vector, 64 (several vectors);
// the last one spans several parallel tasks. Scales are powers of 2 (exact in bf16, as aten rounds s * scale).
const CASES: [number, number, number, number, MaskKind, number][] = [
  [2, 3, 4, 1, 'key', 0.5],
  [2, 2, 3, 5, 'key', 0.125],
  [2, 3, 4, 16, 'none', 0.5],
  [3, 2, 5, 17, 'query', 0.125],
  [2, 4, 8, 64, 'key', 0.125],
  [2, 12, 16, 64, 'query', 0.5],
];
const PS = [0, 0.1, 0.5];

/** Scores (with a few far apart: up to e^-100 below the max), a mask with the last batch (key) or one row (query) all masked, upstream. */
function inputs(shape: Shape, mask: MaskKind, seedNumber: number) {
  const [B, , Tq, T] = shape;
  const next = rng(3000 + B * 1000 + Tq * 100 + T);
  const n = shape.reduce((a, b) => a * b, 1);
  const scores = Float32Array.from({ length: n }, (_, i) => (i % 13 === 5 ? (next() < 0.5 ? -200 : 200) : i % 7 === 3 ? (next() - 0.5) * 120 : (next() - 0.5) * 16));
  const upstream = Float32Array.from({ length: n }, () => (next() - 0.5) * 4);
  let keepMask: Uint8Array | null = null;
  if (mask === 'key') {
    keepMask = Uint8Array.from({ length: B * T }, (_, i) => (Math.floor(i / T) === B - 1 ? 0 : i % T === 0 || next() < 0.75 ? 1 : 0));
  } else if (mask === 'query') {
    keepMask = Uint8Array.from({ length: B * Tq * T }, (_, i) => (Math.floor(i / T) === (B - 1) * Tq ? 0 : i % T === 0 || next() < 0.75 ? 1 : 0));
  }
  return { scores, upstream, keepMask, seed: BigInt(seedNumber) * 0x9e3779b97f4a7c15n % 2n ** 64n };
}

/** The float64 formula from the values the kernel sees, and float32-level tolerances. */
function reference(shape: Shape, mask: MaskKind, scale: number, p: number, dtype: Dtype) {
  const [B, N, Tq, T] = shape;
  const input = inputs(shape, mask, 17 + T + Math.round(p * 10));
  const { keepMask, seed } = input;
  const x = Float64Array.from(input.scores, cast(dtype));
  const up = Float64Array.from(input.upstream, cast(dtype));
  const n = x.length;
  const scaleF = Math.fround(scale);
  const threshold = Math.round(p * 2 ** 32);
  const dropScale = Math.fround(1 / (1 - p));
  const [y, out, g, grad, yTol, outTol, gradTol] = Array.from({ length: 7 }, () => new Float64Array(n));
  const dot = new Float64Array(n); // sum_row(g * y), per element of its row
  const gy = new Float64Array(n); // sum_row(|g| * y)
  const factor = new Float64Array(n);
  const allMasked = new Uint8Array(n); // 1 where the element's row has no key
  const kept = (r: number, t: number) => {
    if (keepMask === null) return true;
    const b = Math.floor(r / (N * Tq));
    const q = r % Tq;
    return keepMask[(mask === 'key' ? b : b * Tq + q) * T + t] !== 0;
  };
  for (let r = 0; r < B * N * Tq; r++) {
    const base = r * T;
    const v = Array.from({ length: T }, (_, t) => (kept(r, t) ? Math.fround(x[base + t] * scaleF) : -Infinity));
    const m = Math.max(...v);
    for (let t = 0; t < T; t++) {
      const i = base + t;
      factor[i] = keepHash(seed, i) >= threshold ? dropScale : 0;
      g[i] = up[i] * factor[i];
    }
    if (m === -Infinity) {
      allMasked.fill(1, base, base + T);
      continue; // y, out, grad stay 0
    }
    const e = v.map((vi) => Math.exp(vi - m));
    const total = e.reduce((a, b) => a + b, 0);
    let spread = 0;
    let d = 0;
    let a = 0;
    for (let t = 0; t < T; t++) {
      y[base + t] = e[t] / total;
      if (kept(r, t)) spread += y[base + t] * Math.abs(v[t] - m);
      d += g[base + t] * y[base + t];
      a += Math.abs(g[base + t]) * y[base + t];
    }
    for (let t = 0; t < T; t++) {
      const i = base + t;
      out[i] = y[i] * factor[i];
      // exp's argument v - m rounded in float32 (|v - m| ulps), exp within 2 ulps, the row's sum and the division
      yTol[i] = kept(r, t) ? ULP * (8 + Math.abs(v[t] - m) + spread) * y[i] + TINY : 0;
      outTol[i] = factor[i] * yTol[i] + ULP * out[i];
      dot[i] = d;
      gy[i] = a;
    }
    let gyTol = 0;
    for (let t = 0; t < T; t++) gyTol += Math.abs(g[base + t]) * yTol[base + t];
    for (let t = 0; t < T; t++) {
      const i = base + t;
      grad[i] = scaleF * y[i] * (g[i] - d);
      gradTol[i] = Math.abs(scaleF) * ((Math.abs(g[i]) + Math.abs(d)) * (yTol[i] + 2 * ULP * y[i]) + y[i] * (gyTol + (T + 4) * ULP * a)) +
        2 * ULP * Math.abs(grad[i]) + TINY;
    }
  }
  /** How far grad moves when y moves by up to ey |y| and g by eg |g| (relative). */
  const moved = (i: number, ey: number, eg: number) =>
    Math.abs(scaleF) * ((Math.abs(g[i]) + Math.abs(dot[i])) * ey * y[i] + y[i] * (eg * Math.abs(g[i]) + (ey + eg) * gy[i]));
  return { ...input, x, up, y, out, grad, yTol, outTol, gradTol, factor, allMasked, moved, shape, scale };
}

const run = (r: ReturnType<typeof reference>, p: number, dtype: Dtype, impl: 'fast' | 'aten' = 'fast') =>
  kernels().attentionProbs(r.scores, r.keepMask, r.shape, r.scale, p, r.seed, r.upstream, dtype, impl);

/** Masked keys, and every key of a fully masked row: exactly 0 out and 0 gradient. */
function expectMaskedZero(r: ReturnType<typeof reference>, fast: { output: Float32Array; grads: Record<string, Float32Array> }) {
  const masked = (i: number) => r.allMasked[i] === 1 || (r.y[i] === 0 && r.yTol[i] === 0);
  const count = r.y.reduce((c, _, i) => c + (masked(i) ? 1 : 0), 0);
  const zeros = (a: Float32Array) => a.reduce((c, v, i) => c + (masked(i) && v === 0 ? 1 : 0), 0);
  expect(zeros(fast.output)).toBe(count);
  expect(zeros(fast.grads.scores)).toBe(count);
  if (r.keepMask !== null) expect(r.allMasked.some((v) => v === 1)).toBe(true); // the case has a fully masked row
}

describe('attention probs', () => {
  const cases = CASES.flatMap((c) => PS.map((p) => [...c, p] as [number, number, number, number, MaskKind, number, number]));

  test.each(cases)('fp32, (%p, %p, %p, %p), mask %p, scale %p, p = %p: the float64 formula, and aten within twice its tolerance', (B, N, Tq, T, mask, scale, p) => {
    const r = reference([B, N, Tq, T], mask, scale, p, 'fp32');
    const fast = run(r, p, 'fp32');
    expectWithin('output', fast.output, r.out, (i) => r.outTol[i]);
    expectWithin('grad scores', fast.grads.scores, r.grad, (i) => r.gradTol[i]);
    expectMaskedZero(r, fast);
    const aten = run(r, p, 'fp32', 'aten');
    const skip = (i: number) => r.allMasked[i] === 1;
    expectWithin('output vs aten', fast.output, aten.output, (i) => 2 * r.outTol[i], skip);
    expectWithin('grad vs aten', fast.grads.scores, aten.grads.scores, (i) => 2 * r.gradTol[i], skip);
  });

  test.each(cases)('bf16, (%p, %p, %p, %p), mask %p, scale %p, p = %p: float32 math rounded once, and aten within bf16 rounding', (B, N, Tq, T, mask, scale, p) => {
    const r = reference([B, N, Tq, T], mask, scale, p, 'bf16');
    const fast = run(r, p, 'bf16');
    expect(values(fast.output)).toEqual(values(fast.output.map(bf16))); // returned in bf16
    expect(values(fast.grads.scores)).toEqual(values(fast.grads.scores.map(bf16)));
    expectWithin('output', fast.output, r.out, (i) => HALF_BF16 * r.out[i] + 2 * r.outTol[i]);
    // backward reads the saved softmax, rounded to bf16
    expectWithin('grad scores', fast.grads.scores, r.grad, (i) => 1.25 * (r.moved(i, HALF_BF16, 0) + HALF_BF16 * Math.abs(r.grad[i])) + 2 * r.gradTol[i]);
    expectMaskedZero(r, fast);
    // aten rounds the softmax and then the dropout's product (two roundings), and g = upstream * factor, to bf16
    const aten = run(r, p, 'bf16', 'aten');
    const skip = (i: number) => r.allMasked[i] === 1;
    expectWithin('output vs aten', fast.output, aten.output, (i) => 1.25 * HALF_BF16 * (3 * r.out[i]) + 4 * r.outTol[i], skip);
    expectWithin('grad vs aten', fast.grads.scores, aten.grads.scores, (i) =>
      1.25 * (r.moved(i, 2 * HALF_BF16, HALF_BF16) + 4 * HALF_BF16 * Math.abs(r.grad[i])) + 4 * r.gradTol[i], skip);
  });

  test('p = 0: rows sum to 1, and no key is dropped', () => {
    const r = reference([2, 3, 4, 17], 'none', 0.125, 0, 'fp32');
    const fast = run(r, 0, 'fp32');
    for (let row = 0; row < 2 * 3 * 4; row++) {
      const total = fast.output.subarray(row * 17, (row + 1) * 17).reduce((a, b) => a + b, 0);
      expect(Math.abs(total - 1)).toBeLessThan(64 * ULP);
    }
  });

  test('a scale that is not a power of 2 (fp32)', () => {
    const r = reference([2, 2, 3, 17], 'key', 1 / Math.sqrt(48), 0.1, 'fp32');
    const fast = run(r, 0.1, 'fp32');
    expectWithin('output', fast.output, r.out, (i) => r.outTol[i]);
    expectWithin('grad scores', fast.grads.scores, r.grad, (i) => r.gradTol[i]);
  });
});

describe('attention probs: bad inputs', () => {
  const shape: Shape = [2, 1, 2, 3];
  const twelve = new Float32Array(12);
  const refused = (code: string, message: string) => expect.objectContaining({ code, message: expect.stringContaining(message) });

  test.each(['fp32', 'bf16'] as const)('a keep mask of another shape, p outside [0, 1), an upstream of another length (%s)', (dtype) => {
    const k = kernels();
    expect(() => k.attentionProbs(twelve, new Uint8Array(7), shape, 1, 0, 1n, twelve, dtype)).toThrow(
      refused('ERR_TORCH', 'keep must be (B, 1, 1, T) or (B, 1, Tq, T)'));
    expect(() => k.attentionProbs(twelve, null, shape, 1, 1, 1n, twelve, dtype)).toThrow(refused('ERR_TORCH', 'p must be in [0, 1), got 1'));
    expect(() => k.attentionProbs(twelve, null, shape, 1, -0.1, 1n, twelve, dtype)).toThrow(refused('ERR_TORCH', 'p must be in [0, 1)'));
    expect(() => k.attentionProbs(twelve, new Uint8Array(6), shape, 1, 0.1, 1n, new Float32Array(11), dtype)).toThrow(
      refused('ERR_INPUT', 'upstream must have as many values as the output'));
    expect(() => k.attentionProbs(new Float32Array(11), null, shape, 1, 0, 1n, twelve, dtype)).toThrow(
      refused('ERR_ARGUMENT', 'values must hold B*N*Tq*T values'));
  });

  test('a keep mask that is not a Uint8Array, a shape that is not 4 numbers, an unknown impl', () => {
    const k = kernels();
    expect(() => k.attentionProbs(twelve, new Float32Array(6) as never, shape, 1, 0, 1n, twelve)).toThrow(refused('ERR_ARGUMENT', 'keepMask'));
    expect(() => k.attentionProbs(twelve, null, [2, 1, 6] as never, 1, 0, 1n, twelve)).toThrow(refused('ERR_ARGUMENT', 'shape'));
    expect(() => k.attentionProbs(twelve, null, shape, 1, 0, 1n, twelve, 'fp32', 'fused' as never)).toThrow(
      refused('ERR_ARGUMENT', 'impl must be fast or aten, got fused'));
  });
});
