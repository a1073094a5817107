// Loading weights through AlbertForSequenceClassification.fromPretrained from crafted
// model.safetensors files (written byte by byte here, see test/helpers/safetensors.ts): every
// broken file is one ERR_SAFETENSORS / ERR_CHECKPOINT / ERR_IO naming the file and the key or
// byte offset; HF's non-persistent buffers are ignored. Half-precision files, and whether the
// safetensors library reads ours: safetensors-python.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import type { AlbertConfigOverrides } from '../../ts/model/config';
import { maxAbsDiff, sameValues, snapshot, tinyModel } from '../helpers/tiny-model';
import { randomBatch } from '../helpers/batches';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { concatBytes, readBytes } from '../helpers/bytes';
import {
  encodeSafetensors,
  f32Entry,
  headerFor,
  i32Entry,
  i64Entry,
  modelEntries,
  rawSafetensors,
  type TensorEntry,
  u64le,
  writeModelDir,
} from '../helpers/safetensors';
import { caught, expectError, expectWrapped, re } from '../helpers/expect-error';

// initializer_range 0.25: logits of magnitude ~1, as in safetensors-python.test.ts.
const CONFIG: AlbertConfigOverrides = { initializer_range: 0.25 };
const SUPPORTED = 'F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL';

let model: AlbertForSequenceClassification;
let entries: TensorEntry[]; // the model's weights, F32, in the model's order
const batch = randomBatch({ batchSize: 3, seqLen: 12, padTail: 4 });

beforeAll(() => {
  model = tinyModel(CONFIG, 11);
  entries = modelEntries(model);
});
afterAll(() => {
  model.dispose();
  removeTempDirs();
});

// Strict, as resume, eval and predict load: every key of the model from the file, nothing else
// (HF's from_pretrained rules, the default, are test/model/pretrained.test.ts's).
const load = (dir: string) => AlbertForSequenceClassification.fromPretrained(dir, { strict: true });

/** The entries with `name` replaced by `replacement` (or dropped when it is null). */
function replace(name: string, replacement: TensorEntry | null): TensorEntry[] {
  expect(entries.some((e) => e.name === name)).toBe(true);
  return entries.flatMap((e) => (e.name !== name ? [e] : replacement ? [replacement] : []));
}

/** The data section of the valid file and its header, for files that differ in the header only. */
function validParts(): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; data: Uint8Array } {
  return {
    header: headerFor(entries) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>,
    data: concatBytes(entries.map((e) => e.data)),
  };
}

describe('a valid file', () => {
  test('written by the TS writer loads back to the same weights and logits', async () => {
    const { dir } = await writeModelDir(model);
    const loaded = await load(dir);
    expect(sameValues(snapshot(loaded), snapshot(model))).toBe(true);
    const [a, b] = [await model.forward(batch), await loaded.forward(batch)];
    expect(maxAbsDiff(a.logits, b.logits)).toBe(0);
    loaded.dispose();
  });

  test('HF non-persistent buffers (position_ids, token_type_ids as I64) are accepted and ignored', async () => {
    const T = model.config.max_position_embeddings;
    const withBuffers = [
      ...entries,
      i64Entry('albert.embeddings.position_ids', [1, T], Array.from({ length: T }, (_, i) => i)),
      i64Entry('albert.embeddings.token_type_ids', [1, T], new Array(T).fill(0)),
    ];
    const { dir } = await writeModelDir(model, withBuffers);
    const loaded = await load(dir);
    expect(loaded.parameters().map((p) => p.name)).not.toContain('albert.embeddings.position_ids');
    expect(maxAbsDiff((await loaded.forward(batch)).logits, (await model.forward(batch)).logits)).toBe(0);
    loaded.dispose();
  });

  // Half-precision files (F16, BF16) and files we write, against the safetensors library itself:
  // test/native/safetensors-python.test.ts.
});

describe('a broken file is ERR_SAFETENSORS naming the file and the offset or key', () => {
  test('a file shorter than the 8-byte length prefix', async () => {
    const { dir, file } = await writeModelDir(model, new Uint8Array([1, 2, 3, 4, 5]));
    await expectError(() => load(dir), 'ERR_SAFETENSORS', `${file}: the file is 5 bytes, shorter than the 8-byte header length`);
  });

  test('an empty file', async () => {
    const { dir, file } = await writeModelDir(model, new Uint8Array(0));
    await expectError(() => load(dir), 'ERR_SAFETENSORS', `${file}: the file is 0 bytes, shorter than the 8-byte header length`);
  });

  test.each([
    [1000n, '1000'],
    [2n ** 64n - 1n, '18446744073709551615'], // would wrap a signed or added-to length
  ])('a header length past the end of the file (%p)', async (length, text) => {
    const bytes = concatBytes([u64le(length), new TextEncoder().encode('{}          ')]);
    const { dir, file } = await writeModelDir(model, bytes);
    await expectError(() => load(dir), 'ERR_SAFETENSORS', `${file}: header length ${text} runs past the end of the file (20 bytes)`);
  });

  test('a header that is not JSON names the header and file byte', async () => {
    const text = '{"classifier.bias": {"dtype": "F32",, "shape": [2]}}';
    const at = text.indexOf(',,') + 1;
    const { dir, file } = await writeModelDir(model, rawSafetensors(text));
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: the header is not valid JSON: expected a string key, found ',' at header byte ${at} (file byte ${at + 8})`,
    );
  });

  test('a header cut short inside a string', async () => {
    const text = '{"classifier.bias": {"dty';
    const { dir, file } = await writeModelDir(model, rawSafetensors(text));
    await expectError(() => load(dir), 'ERR_SAFETENSORS', new RegExp(`^${re(file)}: the header is not valid JSON: .+ at header byte \\d+ \\(file byte \\d+\\)$`));
  });

  test('a header with a duplicate key (which would silently shadow a tensor)', async () => {
    const { data } = validParts();
    const header = JSON.stringify(headerFor(entries));
    const bias = JSON.stringify({ dtype: 'F32', shape: [2], data_offsets: [0, 8] });
    const text = `${header.slice(0, -1)},"classifier.bias":${bias}}`;
    const at = text.lastIndexOf('"classifier.bias"');
    const { dir, file } = await writeModelDir(model, rawSafetensors(text, data));
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: the header is not valid JSON: duplicate key "classifier.bias" at header byte ${at} (file byte ${at + 8})`,
    );
  });

  test.each([
    ['[1,2]', '[1,2]'],
    ['"weights"', '"weights"'],
    ['null', 'null'],
  ])('a header that is JSON but not an object: %s', async (text, summary) => {
    const { dir, file } = await writeModelDir(model, rawSafetensors(text));
    await expectError(() => load(dir), 'ERR_SAFETENSORS', `${file}: the header is not a JSON object: ${summary}`);
  });

  test('an unknown dtype names the tensor and the dtypes that are supported', async () => {
    const { header, data } = validParts();
    header['classifier.bias'].dtype = 'F8_E4M3';
    const { dir, file } = await writeModelDir(model, rawSafetensors(header, data));
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: tensor "classifier.bias": unsupported dtype "F8_E4M3" (supported: ${SUPPORTED})`,
    );
  });

  test('an entry without data_offsets', async () => {
    const { header, data } = validParts();
    delete (header['classifier.bias'] as Partial<(typeof header)[string]>).data_offsets;
    const { dir, file } = await writeModelDir(model, rawSafetensors(header, data.subarray(0, data.length - 8)));
    await expectError(() => load(dir), 'ERR_SAFETENSORS', `${file}: tensor "classifier.bias": the entry has no "data_offsets"`);
  });

  test('a negative shape dimension', async () => {
    const { header, data } = validParts();
    header['classifier.bias'].shape = [-2];
    const { dir, file } = await writeModelDir(model, rawSafetensors(header, data));
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: tensor "classifier.bias": shape[0] must be a non-negative integer, found -2`,
    );
  });

  test('a truncated file: data_offsets past the end', async () => {
    const bytes = encodeSafetensors(entries);
    const cut = bytes.subarray(0, bytes.length - 4); // the last tensor, classifier.bias, loses half its bytes
    const { header } = validParts();
    const [begin, end] = header['classifier.bias'].data_offsets;
    const dataBytes = end - 4;
    const { dir, file } = await writeModelDir(model, cut);
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: the file is truncated: it is ${cut.length} bytes, the header expects ${bytes.length}; ` +
        `tensor "classifier.bias" data_offsets [${begin}, ${end}] run past the end of the ${dataBytes}-byte data section`,
    );
  });

  test('data_offsets that disagree with shape x dtype size', async () => {
    const { header, data } = validParts();
    const [begin] = header['classifier.bias'].data_offsets;
    header['classifier.bias'].data_offsets = [begin, begin + 4];
    const { dir, file } = await writeModelDir(model, rawSafetensors(header, data.subarray(0, data.length - 4)));
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: tensor "classifier.bias": data_offsets [${begin}, ${begin + 4}] hold 4 bytes, but F32 of shape [2] takes 8`,
    );
  });

  test('data_offsets in descending order', async () => {
    const { header, data } = validParts();
    const [begin, end] = header['classifier.bias'].data_offsets;
    header['classifier.bias'].data_offsets = [end, begin];
    const { dir, file } = await writeModelDir(model, rawSafetensors(header, data));
    await expectError(() => load(dir), 'ERR_SAFETENSORS', `${file}: tensor "classifier.bias": data_offsets [${end}, ${begin}] are not ascending`);
  });

  test('overlapping data_offsets name both tensors', async () => {
    const { header, data } = validParts();
    const [weightBegin, weightEnd] = header['classifier.weight'].data_offsets;
    header['classifier.bias'].data_offsets = [weightBegin, weightBegin + 8]; // inside classifier.weight
    const { dir, file } = await writeModelDir(model, rawSafetensors(header, data.subarray(0, data.length - 8)));
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: tensor "classifier.weight" data_offsets [${weightBegin}, ${weightEnd}] overlap tensor "classifier.bias" [${weightBegin}, ${weightBegin + 8}]`,
    );
  });

  test('a hole in the data section names the data and file byte', async () => {
    const { header, data } = validParts();
    const [begin, end] = header['classifier.bias'].data_offsets;
    header['classifier.bias'].data_offsets = [begin + 4, end + 4];
    const headerBytes = JSON.stringify(header).length;
    const bytes = rawSafetensors(header, concatBytes([data.subarray(0, begin), new Uint8Array(4), data.subarray(begin)]));
    const { dir, file } = await writeModelDir(model, bytes);
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: data bytes [${begin}, ${begin + 4}] (file byte ${8 + headerBytes + begin}) belong to no tensor; the data section must be fully covered`,
    );
  });

  test('bytes after the last tensor', async () => {
    const { header, data } = validParts();
    const headerBytes = JSON.stringify(header).length;
    const { dir, file } = await writeModelDir(model, rawSafetensors(header, concatBytes([data, new Uint8Array(3)])));
    await expectError(
      () => load(dir),
      'ERR_SAFETENSORS',
      `${file}: 3 bytes after the last tensor, from data byte ${data.length} (file byte ${8 + headerBytes + data.length}), belong to no tensor`,
    );
  });

  test('a BOOL tensor holding a byte that is not 0 or 1', async () => {
    const flag: TensorEntry = { name: 'flags', dtype: 'BOOL', shape: [3], data: new Uint8Array([0, 1, 7]) };
    const bytes = encodeSafetensors([flag, ...entries]);
    const headerBytes = JSON.stringify(headerFor([flag, ...entries])).length;
    const { dir, file } = await writeModelDir(model, bytes);
    await expectError(() => load(dir), 'ERR_SAFETENSORS', `${file}: tensor "flags": BOOL element 2 (file byte ${8 + headerBytes + 2}) is 7, not 0 or 1`);
  });
});

describe('a file that does not fit the model is ERR_CHECKPOINT naming the key', () => {
  test('a missing key', async () => {
    const { dir, file } = await writeModelDir(model, replace('classifier.bias', null));
    await expectError(() => load(dir), 'ERR_CHECKPOINT', `${file}: missing 1 weight(s) the model needs: classifier.bias`);
  });

  test('an empty header: every key missing, the list shortened', async () => {
    const { dir, file } = await writeModelDir(model, rawSafetensors('{}'));
    const names = entries.map((e) => e.name);
    await expectError(
      () => load(dir),
      'ERR_CHECKPOINT',
      `${file}: missing ${names.length} weight(s) the model needs: ${names.slice(0, 8).join(', ')}, ... (${names.length} in all)`,
    );
  });

  test('an unexpected extra key', async () => {
    const extra = f32Entry('classifier.extra.weight', [2], new Float32Array([1, 2]));
    const { dir, file } = await writeModelDir(model, [...entries, extra]);
    await expectError(() => load(dir), 'ERR_CHECKPOINT', `${file}: 1 unexpected weight(s) this model does not have: classifier.extra.weight`);
  });

  test('a wrong shape names the key and both shapes', async () => {
    const H = model.config.hidden_size;
    const wrong = f32Entry('classifier.weight', [3, H], new Float32Array(3 * H));
    const { dir, file } = await writeModelDir(model, replace('classifier.weight', wrong));
    await expectError(
      () => load(dir),
      'ERR_CHECKPOINT',
      `${file}: weight "classifier.weight" has shape [3, ${H}] but the model's config needs [2, ${H}]`,
    );
  });

  test('an integer dtype for a weight', async () => {
    const { dir, file } = await writeModelDir(model, replace('classifier.bias', i32Entry('classifier.bias', [2], [1, 2])));
    await expectError(
      () => load(dir),
      'ERR_CHECKPOINT',
      `${file}: weight "classifier.bias" has dtype Int; expected a floating-point dtype (F32, F16 or BF16)`,
    );
  });
});

describe('a failed load', () => {
  test('rejects: no model comes back, and the error points at the caller', async () => {
    const { dir } = await writeModelDir(model, replace('classifier.bias', null));
    let result: AlbertForSequenceClassification | undefined;
    const error = await caught(async () => {
      result = await load(dir);
    });
    expect(result).toBeUndefined();
    expect(error.code).toBe('ERR_CHECKPOINT');
    expectWrapped(error, 'safetensors.test.ts'); // AlbertTrainerError with the caller's (async) stack
  });

  test('into an existing model changes no weight, and the model stays usable', async () => {
    const target = tinyModel(CONFIG, 99);
    const before = snapshot(target);
    // Every key present with new values, but the last one has the wrong shape: nothing may be copied.
    const donor = tinyModel(CONFIG, 5);
    const bad = modelEntries(donor).map((e) => (e.name === 'classifier.bias' ? f32Entry(e.name, [3], new Float32Array(3)) : e));
    const { file } = await writeModelDir(donor, bad);
    await expectError(() => target.native.loadWeights(file), 'ERR_CHECKPOINT', /weight "classifier\.bias" has shape \[3\]/);
    expect(sameValues(snapshot(target), before)).toBe(true);
    await expect(target.forward(batch)).resolves.toHaveProperty('logits');
    target.dispose();
    donor.dispose();
  });
});

describe('file system errors are ERR_IO', () => {
  test('no weights file: model.safetensors named, pytorch_model.bin too; a .bin that is no torch.save archive', async () => {
    const { dir } = await writeModelDir(model);
    const file = path.join(dir, 'model.safetensors');
    fs.renameSync(file, path.join(dir, 'other.safetensors'));
    await expectError(() => load(dir), 'ERR_IO', `${file}: no such file (nor pytorch_model.bin)`);
    fs.renameSync(path.join(dir, 'other.safetensors'), path.join(dir, 'pytorch_model.bin'));
    await expectError(() => load(dir), 'ERR_CHECKPOINT', `${path.join(dir, 'pytorch_model.bin')}: not a torch.save zip archive (nor safetensors)`);
  });

  test('model.safetensors that is a folder', async () => {
    const { dir, file } = await writeModelDir(model);
    fs.rmSync(file);
    fs.mkdirSync(file);
    await expectError(() => load(dir), 'ERR_IO', `${file}: not a regular file`);
  });

  test('savePretrained over a folder named model.safetensors fails and leaves no temporary file', async () => {
    const dir = tempDir('save');
    fs.mkdirSync(path.join(dir, 'model.safetensors'));
    await expectError(() => model.savePretrained(dir), 'ERR_IO', new RegExp(`^${re(path.join(dir, 'model.safetensors'))}: cannot rename the temporary file`));
    expect(fs.readdirSync(dir).sort()).toEqual(['model.safetensors']);
  });

  test('savePretrained into a path that is a file is ERR_IO naming it', async () => {
    const file = path.join(tempDir('save'), 'not-a-folder');
    fs.writeFileSync(file, 'x');
    await expectError(() => model.savePretrained(file), 'ERR_IO', `${file}: exists and is not a directory`);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('savePretrained writes a file this reader takes back exactly', async () => {
    const dir = tempDir('save');
    await model.savePretrained(dir);
    const bytes = readBytes(path.join(dir, 'model.safetensors'));
    const headerBytes = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    expect((8 + headerBytes) % 8).toBe(0); // the data section starts 8-byte aligned, as HF writes it
    const loaded = await load(dir);
    expect(sameValues(snapshot(loaded), snapshot(model))).toBe(true);
    loaded.dispose();
  });
});
