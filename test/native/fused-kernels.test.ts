// The fused CPU kernels against their formulas in float64 and against the aten compositions they
// replace (the bindings' impl 'aten'), forward and backward through autograd, in float32 and bf16:
//   native/kernels/cpu/gelu_new.h: bias_gelu_new_cpu, y = gelu_new(x + bias)
//   native/kernels/cpu/residual_layer_norm.h: y = LayerNorm(x + residual) * weight + bias
// The binding rounds x, residual and upstream to bf16 for 'bf16' (bias and weight stay float32);
// the references start from the same rounded values and the float32 sum x + bias (x + residual),
// so they check the float32 math inside and the single rounding of what is returned in bf16.
import { native } from '../../ts/native';
import { rng } from '../helpers/batches';
import { bf16, HALF_BF16, ULP, values } from '../helpers/kernel-reference';

const kernels = () => native().kernels;
type Dtype = 'fp32' | 'bf16';

const cast = (dtype: Dtype) => (dtype === 'bf16' ? bf16 : (v: number) => v);
function sum(a: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i];
  return total;
}

/** Fails naming the worst element where |got - want| exceeds its tolerance (NaN fails too). */
function expectWithin(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: (i: number) => number) {
  expect(got.length).toBe(want.length);
  let worst = 1;
  let detail = 'within';
  for (let i = 0; i < got.length; i++) {
    const ratio = Math.abs(got[i] - want[i]) / tolerance(i);
    if (!(ratio <= worst)) {
      worst = Number.isNaN(ratio) ? Infinity : ratio;
      detail = `off by ${ratio.toPrecision(3)} tolerances at [${i}]: got ${got[i]}, want ${want[i]} ± ${tolerance(i)}`;
    }
  }
  expect(`${what}: ${detail}`).toBe(`${what}: within`);
}

// gelu_new(v) = 0.5 v (1 + tanh(u)) = v * sigmoid(2u), u = sqrt(2/pi) (v + 0.044715 v^3), written
// with exp in float64 (the tanh form cancels to 0 below v ~ -7; see kernels.test.ts).
describe('bias + gelu_new', () => {
  const BETA = Math.sqrt(2 / Math.PI);
  const KAPPA = 0.044715;
  const expMinus2u = (v: number) => Math.exp(-2 * BETA * (v + KAPPA * v ** 3));
  const gelu = (v: number) => v / (1 + expMinus2u(v));
  const slope = (v: number) => {
    const e = expMinus2u(v);
    const s = 1 / (1 + e);
    return s + v * s * (1 / (1 + 1 / e)) * 2 * BETA * (1 + 3 * KAPPA * v * v);
  };
  const twoU = (v: number) => 2 * BETA * Math.abs(v + KAPPA * v ** 3);
  // x + bias lands on (about) these every 5th value: 0, tiny, the slope's zero, exp's clamp, large
  const EDGES = [0, 1e-7, -1e-7, -0.75, 11.9, -11.9, 12.5, -12.5, 20, -20, 100, -100];
  // C: one column, vector tails, one AVX-512 vector, a vector and one, ALBERT's 768 (several parallel tasks)
  const CASES: [number, number][] = [[1, 40], [7, 9], [16, 5], [33, 9], [768, 64]];

  function inputs(C: number, rows: number) {
    const next = rng(1000 + C);
    const bias = Float32Array.from({ length: C }, () => (next() - 0.5) * 2);
    const x = Float32Array.from({ length: rows * C }, (_, i) =>
      i % 5 === 0 ? EDGES[(i / 5) % EDGES.length] - bias[i % C] : (next() - 0.5) * (i % 3 === 0 ? 32 : 8));
    const upstream = Float32Array.from({ length: rows * C }, () => (next() - 0.5) * 4);
    return { x, bias, upstream };
  }

  /** The float64 values from the inputs as the kernel sees them, and float32-level tolerances. */
  function reference(C: number, rows: number, dtype: Dtype) {
    const { x, bias, upstream } = inputs(C, rows);
    const v = Float64Array.from(x, (value, i) => Math.fround(cast(dtype)(value) + bias[i % C])); // the float32 sum
    const up = Float64Array.from(upstream, cast(dtype));
    const dx = v.map((vi, i) => up[i] * slope(vi));
    const dbias = new Float64Array(C);
    const dbiasTol = new Float64Array(C); // each product's error and float32 summation over the rows
    dx.forEach((g, i) => {
      dbias[i % C] += g;
      dbiasTol[i % C] += (4 + rows) * ULP * Math.abs(g) + ULP * Math.abs(up[i]);
    });
    return {
      x, bias, upstream, v, up, y: v.map(gelu), dx, dbias, dbiasTol,
      // exp(z) with z = 2u in float32 is off by up to |z| ulps: (4 + |2u|) ulps of the value (of 2^-20 where smaller)
      yTol: (i: number) => (4 + twoU(v[i])) * ULP * Math.max(Math.abs(gelu(v[i])), 2 ** -20),
      // 4 ulps, and 1 ulp of |upstream| (the slope crosses 0 near v = -0.75)
      dxTol: (i: number) => 4 * ULP * Math.abs(dx[i]) + ULP * Math.abs(up[i]),
    };
  }

  test.each(CASES)('fp32, C = %p (%p rows): the float64 formula within a few float32 ulps, and aten', (C, rows) => {
    const r = reference(C, rows, 'fp32');
    const fast = kernels().biasGeluNew(r.x, r.bias, r.upstream);
    expectWithin('output', fast.output, r.y, r.yTol);
    expectWithin('grad x', fast.grads.x, r.dx, r.dxTol);
    expectWithin('grad bias', fast.grads.bias, r.dbias, (c) => r.dbiasTol[c]);
    // aten's tanh form loses up to |v|/2 ulps of 1 to cancellation (forward), and ~1e-6 of |upstream| (backward)
    const aten = kernels().biasGeluNew(r.x, r.bias, r.upstream, 'fp32', 'aten');
    expectWithin('output vs aten', fast.output, aten.output, (i) => 8 * ULP * Math.abs(aten.output[i]) + (ULP / 2) * Math.abs(r.v[i]) + 1e-30);
    expectWithin('grad x vs aten', fast.grads.x, aten.grads.x, (i) => 2e-6 * Math.abs(r.up[i]) + 1e-30);
    const atenBiasTol = new Float64Array(C);
    r.up.forEach((u, i) => (atenBiasTol[i % C] += 2e-6 * Math.abs(u)));
    expectWithin('grad bias vs aten', fast.grads.bias, aten.grads.bias, (c) => atenBiasTol[c] + r.dbiasTol[c]);
  });

  test.each(CASES)('bf16, C = %p (%p rows): rounded once to bf16, bias sums of the unrounded products', (C, rows) => {
    const r = reference(C, rows, 'bf16');
    const fast = kernels().biasGeluNew(r.x, r.bias, r.upstream, 'bf16');
    expect(values(fast.output)).toEqual(values(fast.output.map(bf16))); // returned in bf16
    expectWithin('output', fast.output, r.y, (i) => HALF_BF16 * Math.abs(r.y[i]) + 2 * r.yTol(i));
    expectWithin('grad x', fast.grads.x, r.dx, (i) => HALF_BF16 * Math.abs(r.dx[i]) + 2 * r.dxTol(i));
    // float32 sums of float32 products: sums of the bf16-rounded gradients would be ~2^-9 off
    expectWithin('grad bias', fast.grads.bias, r.dbias, (c) => r.dbiasTol[c]);
  });

  test.each(CASES)('bf16, C = %p (%p rows): aten, which also rounds the bias and x + bias to bf16', (C, rows) => {
    const r = reference(C, rows, 'bf16');
    const fast = kernels().biasGeluNew(r.x, r.bias, r.upstream, 'bf16');
    const aten = kernels().biasGeluNew(r.x, r.bias, r.upstream, 'bf16', 'aten');
    // aten's v is within h of ours; its result moves by f(v +- h) - f(v), then both round to bf16
    const h = (i: number) => HALF_BF16 * (Math.abs(r.v[i]) + Math.abs(r.bias[i % C]));
    const shift = (f: (v: number) => number, i: number) => Math.max(Math.abs(f(r.v[i] + h(i)) - f(r.v[i])), Math.abs(f(r.v[i] - h(i)) - f(r.v[i])));
    expectWithin('output vs aten', fast.output, aten.output, (i) =>
      1.25 * (shift(gelu, i) + HALF_BF16 * (Math.abs(r.y[i]) + Math.abs(aten.output[i]))) + ULP * Math.abs(r.v[i]) + 1e-30);
    expectWithin('grad x vs aten', fast.grads.x, aten.grads.x, (i) =>
      1.25 * (Math.abs(r.up[i]) * shift(slope, i) + HALF_BF16 * (Math.abs(r.dx[i]) + Math.abs(aten.grads.x[i]))) + 2e-6 * Math.abs(r.up[i]) + 1e-30);
  });
});

// y = (s - mean) rstd w + b, s = x + residual in float32, rstd = 1 / sqrt(var + eps); with
// g = dy w: d(x) = d(residual) = rstd (g - mean(g) - xhat mean(g xhat)), dw = sum dy xhat, db = sum dy.
describe('residual + LayerNorm', () => {
  // [C, rows, eps]: LayerNorm of one value (y = b, no gradient through s), tails, a vector and one, 768 over several tasks
  const CASES: [number, number, number][] = [[1, 3, 1e-5], [5, 9, 1e-12], [16, 4, 1e-5], [17, 7, 1e-12], [768, 9, 1e-5], [768, 64, 1e-12]];

  // Every third row sits around 1000: a one-pass E[s^2] - E[s]^2 in float32 loses its variance there.
  function inputs(C: number, rows: number, offset: number) {
    const next = rng(2000 + C + rows);
    const noise = (scale: number) => Float32Array.from({ length: rows * C }, () => (next() - 0.5) * scale);
    const x = noise(4).map((v, i) => v + (Math.floor(i / C) % 3 === 1 ? offset : 0));
    return { x, residual: noise(4), weight: noise(1).subarray(0, C).map((v) => v + 1), bias: noise(1).subarray(0, C), upstream: noise(4) };
  }

  function reference(C: number, rows: number, eps: number, dtype: Dtype, offset = 1000) {
    const input = inputs(C, rows, offset);
    const { weight, bias } = input;
    const s = Float64Array.from(input.x, (v, i) => Math.fround(cast(dtype)(v) + cast(dtype)(input.residual[i])));
    const dy = Float64Array.from(input.upstream, cast(dtype));
    const [y, dsum, xhat, yTol, dsumTol, rstdOf, absS] = Array.from({ length: 7 }, () => new Float64Array(rows * C));
    const [dw, db, dwTol, dbTol] = Array.from({ length: 4 }, () => new Float64Array(C));
    for (let n = 0; n < rows; n++) {
      const row = (a: Float64Array) => a.subarray(n * C, (n + 1) * C);
      const sn = row(s), dyn = row(dy), xn = row(xhat);
      const mean = sum(sn) / C;
      const rstd = 1 / Math.sqrt(sum(sn.map((v) => (v - mean) ** 2)) / C + eps);
      sn.forEach((v, c) => (xn[c] = (v - mean) * rstd));
      const g = dyn.map((d, c) => d * weight[c]);
      const meanG = sum(g) / C;
      const meanGx = sum(g.map((v, c) => v * xn[c])) / C;
      // float32 errors of xhat: the mean's (8 ulps of |mean|) and a few ulps of xhat and of 1/std
      const e = ULP * (8 * Math.abs(mean) * rstd + 16);
      const spread = sum(g.map((v, c) => Math.abs(v) * (1 + Math.abs(xn[c])))) / C;
      for (let c = 0; c < C; c++) {
        const i = n * C + c;
        y[i] = xn[c] * weight[c] + bias[c];
        yTol[i] = Math.abs(weight[c]) * e * (1 + Math.abs(xn[c])) + 2 * ULP * (Math.abs(y[i]) + Math.abs(bias[c]));
        dsum[i] = rstd * (g[c] - meanG - xn[c] * meanGx);
        dsumTol[i] = rstd * e * (Math.abs(g[c]) + 3 * spread * (1 + Math.abs(xn[c]))) + 1e-30;
        dw[c] += dyn[c] * xn[c];
        db[c] += dyn[c];
        dwTol[c] += Math.abs(dyn[c]) * e * (1 + Math.abs(xn[c])) + (rows + 2) * ULP * Math.abs(dyn[c] * xn[c]);
        dbTol[c] += (rows + 2) * ULP * Math.abs(dyn[c]);
        rstdOf[i] = rstd;
        absS[i] = Math.abs(sn[c]);
      }
    }
    return { ...input, s, dy, y, dsum, xhat, dw, db, yTol, dsumTol, dwTol, dbTol, rstdOf, absS };
  }

  const run = (r: ReturnType<typeof reference>, eps: number, dtype: Dtype, impl: 'fast' | 'aten' = 'fast') =>
    kernels().residualLayerNorm(r.x, r.residual, r.weight, r.bias, eps, r.upstream, dtype, impl);

  test.each(CASES)('fp32, C = %p (%p rows, eps %p): the float64 formula, and aten within twice that', (C, rows, eps) => {
    const r = reference(C, rows, eps, 'fp32');
    const fast = run(r, eps, 'fp32');
    expect(values(fast.grads.x)).toEqual(values(fast.grads.residual));
    if (C === 1) {
      expect(values(fast.output)).toEqual(Array(rows).fill(r.bias[0])); // xhat = 0: y = b, and no gradient reaches s
      expect(values(fast.grads.x)).toEqual(Array(rows).fill(0));
    }
    expectWithin('output', fast.output, r.y, (i) => r.yTol[i]);
    expectWithin('grad x', fast.grads.x, r.dsum, (i) => r.dsumTol[i]);
    expectWithin('grad weight', fast.grads.weight, r.dw, (c) => r.dwTol[c]);
    expectWithin('grad bias', fast.grads.bias, r.db, (c) => r.dbTol[c]);
    const aten = run(r, eps, 'fp32', 'aten');
    expectWithin('output vs aten', fast.output, aten.output, (i) => 2 * r.yTol[i]);
    expectWithin('grad x vs aten', fast.grads.x, aten.grads.x, (i) => 2 * r.dsumTol[i]);
    expectWithin('grad residual vs aten', fast.grads.residual, aten.grads.residual, (i) => 2 * r.dsumTol[i]);
    expectWithin('grad weight vs aten', fast.grads.weight, aten.grads.weight, (c) => 2 * r.dwTol[c]);
    expectWithin('grad bias vs aten', fast.grads.bias, aten.grads.bias, (c) => 2 * r.dbTol[c]);
  });

  test.each(CASES)('bf16, C = %p (%p rows, eps %p): the sum kept in float32, outputs rounded once', (C, rows, eps) => {
    const r = reference(C, rows, eps, 'bf16');
    const fast = run(r, eps, 'bf16');
    expect(values(fast.grads.x)).toEqual(values(fast.grads.residual));
    expect(values(fast.output)).toEqual(values(fast.output.map(bf16)));
    expectWithin('output', fast.output, r.y, (i) => HALF_BF16 * Math.abs(r.y[i]) + 2 * r.yTol[i]);
    expectWithin('grad x', fast.grads.x, r.dsum, (i) => HALF_BF16 * Math.abs(r.dsum[i]) + 2 * r.dsumTol[i]);
    // float32 sums of float32 products, as in float32
    expectWithin('grad weight', fast.grads.weight, r.dw, (c) => r.dwTol[c]);
    expectWithin('grad bias', fast.grads.bias, r.db, (c) => r.dbTol[c]);
  });

  test.each(CASES)('bf16, C = %p (%p rows, eps %p): aten, which rounds x + residual to bf16 first', (C, rows, eps) => {
    const r = reference(C, rows, eps, 'bf16', 0);
    const fast = run(r, eps, 'bf16');
    const aten = run(r, eps, 'bf16', 'aten');
    // aten's s_c moves by up to 2^-8 |s_c|: its xhat by dxhat (mean, 1/std and s_c moving), plus both roundings
    const dxhat = new Float64Array(r.s.length);
    const rho = new Float64Array(r.s.length); // 1/std's relative change
    for (let n = 0; n < rows; n++) {
      const cols = Array.from({ length: C }, (_, c) => n * C + c);
      const meanAbs = sum(cols.map((i) => r.absS[i])) / C;
      const rstd = r.rstdOf[n * C];
      const change = (HALF_BF16 * rstd * sum(cols.map((i) => Math.abs(r.xhat[i]) * r.absS[i]))) / C;
      for (const i of cols) {
        rho[i] = change;
        dxhat[i] = HALF_BF16 * rstd * (r.absS[i] + meanAbs) + Math.abs(r.xhat[i]) * change;
      }
    }
    expectWithin('output vs aten', fast.output, aten.output, (i) =>
      1.25 * (Math.abs(r.weight[i % C]) * dxhat[i] + HALF_BF16 * (Math.abs(r.y[i]) + Math.abs(aten.output[i]))) + 2 * r.yTol[i]);
    // aten adds up its weight and bias gradients in bf16 (each add off by up to 2^-8 of the sum so far)
    const [dwTol, dbTol] = [new Float64Array(C), new Float64Array(C)];
    r.dy.forEach((d, i) => {
      dwTol[i % C] += 1.25 * Math.abs(d) * dxhat[i] + rows * HALF_BF16 * Math.abs(d * r.xhat[i]);
      dbTol[i % C] += rows * HALF_BF16 * Math.abs(d);
    });
    expectWithin('grad weight vs aten', fast.grads.weight, aten.grads.weight, (c) => dwTol[c] + 2 * r.dwTol[c]);
    expectWithin('grad bias vs aten', fast.grads.bias, aten.grads.bias, (c) => dbTol[c] + 2 * r.dbTol[c]);
    // d(s): rstd's change, xhat's change times mean(g xhat), and mean(g dxhat) times xhat
    const [gDx, gXhat] = [new Float64Array(rows), new Float64Array(rows)];
    r.dy.forEach((d, i) => {
      gDx[Math.floor(i / C)] += Math.abs(d * r.weight[i % C]) * dxhat[i] / C;
      gXhat[Math.floor(i / C)] += (d * r.weight[i % C] * r.xhat[i]) / C;
    });
    expectWithin('grad x vs aten', fast.grads.x, aten.grads.x, (i) => {
      const n = Math.floor(i / C);
      const moved = rho[i] * Math.abs(r.dsum[i]) + r.rstdOf[i] * (dxhat[i] * Math.abs(gXhat[n]) + Math.abs(r.xhat[i]) * gDx[n]);
      return 1.25 * (moved + HALF_BF16 * (Math.abs(r.dsum[i]) + Math.abs(aten.grads.x[i]))) + 2 * r.dsumTol[i];
    });
  });
});

describe('bad inputs', () => {
  const ten = new Float32Array(10);
  const five = new Float32Array(5).fill(1);
  const refused = (code: string, message: string) => expect.objectContaining({ code, message: expect.stringContaining(message) });

  test.each(['fp32', 'bf16'] as const)('values that are not whole rows, an upstream of another length, a residual of another shape (%s)', (dtype) => {
    const k = kernels();
    expect(() => k.biasGeluNew(ten, new Float32Array(3), ten, dtype)).toThrow(refused('ERR_ARGUMENT', 'values must hold whole rows of cols values'));
    expect(() => k.biasGeluNew(ten, five, new Float32Array(9), dtype)).toThrow(refused('ERR_INPUT', 'upstream must have as many values as the output'));
    expect(() => k.residualLayerNorm(ten, ten, new Float32Array(3), new Float32Array(3), 1e-5, ten, dtype)).toThrow(
      refused('ERR_ARGUMENT', 'values must hold whole rows of cols values'));
    expect(() => k.residualLayerNorm(ten, new Float32Array(7), five, five, 1e-5, ten, dtype)).toThrow(
      refused('ERR_ARGUMENT', 'values must hold whole rows of cols values'));
    expect(() => k.residualLayerNorm(ten, ten, five, five, 1e-5, new Float32Array(11), dtype)).toThrow(
      refused('ERR_INPUT', 'upstream must have as many values as the output'));
    expect(() => k.residualLayerNorm(ten, new Float32Array(15), five, five, 1e-5, ten, dtype)).toThrow(
      refused('ERR_TORCH', "residual must have x's shape and dtype"));
    expect(() => k.residualLayerNorm(ten, ten, five, new Float32Array(3), 1e-5, ten, dtype)).toThrow(
      refused('ERR_TORCH', 'weight and bias must be (C) float32 CPU tensors'));
  });

  test('an unknown dtype or impl is refused', () => {
    expect(() => kernels().biasGeluNew(ten, five, ten, 'fp16' as never)).toThrow(refused('ERR_ARGUMENT', 'dtype must be fp32 or bf16, got fp16'));
    expect(() => kernels().residualLayerNorm(ten, ten, five, five, 1e-5, ten, 'fp32', 'fused' as never)).toThrow(
      refused('ERR_ARGUMENT', 'impl must be fast or aten, got fused'));
  });
});
