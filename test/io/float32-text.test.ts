// Numbers printed as float32 (ts/predict.ts fp32): the shortest decimal that reads back as the
// float32, as numpy's str(np.float32(v)) prints it, ties included. bf16 values (what a bf16
// forward returns) often sit exactly halfway between two shortest decimals (-0.126953125), where
// numpy keeps the even last digit and JavaScript's toPrecision rounds away from zero.
import { execFileSync } from 'child_process';
import { fp32 } from '../../ts/predict';
import { rng } from '../helpers/batches';
import { referencePython } from '../helpers/python';

function numpyFloat32(values: number[]): number[] {
  const code = 'import json, sys, numpy as np; print(json.dumps([str(np.float32(v)) for v in json.load(sys.stdin)]))';
  const printed = JSON.parse(execFileSync(referencePython(), ['-c', code], { input: JSON.stringify(values), encoding: 'utf8' })) as string[];
  return printed.map(Number);
}

/** float32 -> bf16 (truncated bits): exactly representable in both. */
function bf16Bits(value: number): number {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0] & 0xffff0000;
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

test('fp32() prints what numpy prints for float32 and bf16 values, ties to even included', () => {
  const random = rng(21);
  const values: number[] = [-0.126953125, 0.173828125, -0.400390625, 9.5, 0.1, 1e-7, 65504, 3.4e38, -1.17549435e-38];
  for (let i = 0; i < 3000; i++) {
    const magnitude = 10 ** (random() * 12 - 6);
    const value = Math.fround((random() < 0.5 ? -1 : 1) * magnitude * random());
    values.push(value, bf16Bits(value));
  }
  const ours = values.map(fp32);
  const numpy = numpyFloat32(values.map((v) => Math.fround(v)));
  const differing = values.map((value, i) => ({ value, ours: ours[i], numpy: numpy[i] })).filter((row) => row.ours !== row.numpy);
  expect(differing.slice(0, 5)).toEqual([]);
  // The premise: the set has ties, where toPrecision alone would differ from numpy.
  const ties = values.filter((v) => Number(Math.fround(v).toPrecision(8)) !== fp32(v) && Math.fround(Number(Math.fround(v).toPrecision(8))) === Math.fround(v));
  expect(ties.length).toBeGreaterThan(10);
});
