// Our weight files against the safetensors library itself (test/reference/safetensors_reference.py),
// both ways: the model.safetensors savePretrained writes is read by safetensors.torch.load_file
// (names, shapes, F32 dtype, {"format": "pt"}, every value bit for bit), and the F16, BF16 and
// F32 files that safetensors.torch.save_file writes from those tensors (torch's own rounding to
// half) load into our model with every parameter equal, bit for bit, to the value torch widens
// them to, at the edges of the half formats too (inf, subnormals, -0).
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import { type AlbertConfigOverrides, writeAlbertConfig } from '../../ts/model/config';
import { runReference } from '../helpers/python';
import { randomBatch } from '../helpers/batches';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { maxAbs, maxAbsDiff, tinyModel } from '../helpers/tiny-model';

interface PythonTensor { dtype: string; shape?: number[]; bits: number[] }
interface Reference {
  read: { metadata: Record<string, string> | null; tensors: Record<string, PythonTensor> };
  written: Record<'F16' | 'BF16' | 'F32' | 'F16-edge' | 'BF16-edge', { file: string; tensors: Record<string, PythonTensor> }>;
}

// initializer_range 0.25 gives logits of magnitude ~1, so the half-precision tolerances mean something.
const CONFIG: AlbertConfigOverrides = { initializer_range: 0.25 };
const EDGE_TENSOR = 'classifier.weight';
const batch = randomBatch({ batchSize: 3, seqLen: 12, padTail: 4 });

let model: AlbertForSequenceClassification;
let ref: Reference;

/** float32 bit patterns, so that -0, inf and subnormals compare exactly. */
const bitsOf = (values: Float32Array): number[] => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

/** Loads a file Python wrote (strict: every key of the model, nothing else), beside our config.json. */
async function loadWritten(key: keyof Reference['written']): Promise<AlbertForSequenceClassification> {
  const dir = path.dirname(ref.written[key].file);
  await writeAlbertConfig(dir, model.config);
  return AlbertForSequenceClassification.fromPretrained(dir, { strict: true });
}

/** Each parameter of `loaded` against the bits Python says the file holds: the names that differ. */
function differing(loaded: AlbertForSequenceClassification, tensors: Record<string, PythonTensor>): string[] {
  return loaded.parameters().filter(({ name }) => {
    const expected = tensors[name]?.bits;
    const actual = bitsOf(loaded.getParameter(name));
    return !expected || expected.length !== actual.length || expected.some((b, i) => b !== actual[i]);
  }).map(({ name }) => name);
}

beforeAll(async () => {
  model = tinyModel(CONFIG, 11);
  const ours = tempDir('st-ours');
  await model.savePretrained(ours);
  ref = runReference<Reference>('safetensors_reference.py', [], {
    source: path.join(ours, 'model.safetensors'),
    out_dir: tempDir('st-python'),
    edge: { name: EDGE_TENSOR },
  });
});
afterAll(() => {
  model.dispose();
  removeTempDirs();
});

test('savePretrained\'s model.safetensors, read by safetensors.torch: every parameter, F32, same shape, same bits, format "pt"', () => {
  const params = model.parameters();
  expect(Object.keys(ref.read.tensors).sort()).toEqual(params.map((p) => p.name).sort());
  for (const { name, shape } of params) {
    const theirs = ref.read.tensors[name];
    expect([name, theirs.dtype, theirs.shape]).toEqual([name, 'torch.float32', shape]);
    expect([name, theirs.bits]).toEqual([name, bitsOf(model.getParameter(name))]);
  }
  expect(ref.read.metadata).toEqual({ format: 'pt' });
});

test.each([
  ['F16', 'torch.float16', 5e-3],
  ['BF16', 'torch.bfloat16', 3e-2],
] as const)('%s written by safetensors.torch (%s) loads as torch widens it, bit for bit; logits within %p of fp32', async (key, torchDtype, tolerance) => {
  const written = ref.written[key].tensors;
  expect(new Set(Object.values(written).map((t) => t.dtype))).toEqual(new Set([torchDtype]));
  const loaded = await loadWritten(key);
  expect(differing(loaded, written)).toEqual([]);
  // The half values are not the fp32 ones (else this would not test a conversion).
  expect(bitsOf(loaded.getParameter('albert.pooler.weight'))).not.toEqual(bitsOf(model.getParameter('albert.pooler.weight')));
  const reference = (await model.forward(batch)).logits;
  const logits = (await loaded.forward(batch)).logits;
  expect(maxAbs(reference)).toBeGreaterThan(0.3); // logits of scale ~1: the tolerance is absolute
  expect(maxAbsDiff(logits, reference)).toBeLessThan(tolerance);
  loaded.dispose();
});

test('F32 written by safetensors.torch (not by us) loads to the same weights and logits', async () => {
  const loaded = await loadWritten('F32');
  expect(differing(loaded, ref.written.F32.tensors)).toEqual([]);
  expect(maxAbsDiff((await loaded.forward(batch)).logits, (await model.forward(batch)).logits)).toBe(0);
  loaded.dispose();
});

// The smallest normal value of each half format: below it (and above 0) a value is subnormal there.
test.each([
  ['F16-edge', 2 ** -14],
  ['BF16-edge', 2 ** -126],
] as const)('%s: infinities, subnormals, -0 and the largest finite values widen exactly', async (key, smallestNormal) => {
  const edge = ref.written[key].tensors[EDGE_TENSOR].bits;
  const values = new Float32Array(Uint32Array.from(edge).buffer);
  // The file holds what the test is about: +-inf, a subnormal of the format, -0.
  expect({
    inf: values.includes(Infinity) && values.includes(-Infinity),
    subnormal: values.some((v) => v !== 0 && Math.abs(v) < smallestNormal),
    negativeZero: edge.includes(0x80000000),
  }).toEqual({ inf: true, subnormal: true, negativeZero: true });
  const loaded = await loadWritten(key);
  expect(differing(loaded, ref.written[key].tensors)).toEqual([]);
  loaded.dispose();
});
