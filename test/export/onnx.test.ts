// The ONNX export, checked by the runtimes that will run it: onnxruntime-node against the
// addon's own fp32 forward (padded and unpadded batches, token types, several layer groups and
// inner layers, each activation), transformers.js's pipeline against `predict` on SUBJ
// sentences, and in Python the onnx checker plus onnxruntime against HF transformers on the
// same weights. Bad input leaves nothing behind.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification, AlbertTokenizer, predict } from '../../ts';
import type { AlbertConfigOverrides, Batch } from '../../ts';
import { exportOnnx } from '../../ts/export/export-onnx';
import { randomBatch } from '../helpers/batches';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { expectError } from '../helpers/expect-error';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

const TINY: AlbertConfigOverrides = { vocab_size: 120, embedding_size: 16, hidden_size: 32, num_attention_heads: 4, intermediate_size: 37, max_position_embeddings: 40, initializer_range: 0.25 };
const CONFIGS: Record<string, AlbertConfigOverrides> = {
  'one group, one inner layer, gelu_new': { ...TINY, num_hidden_layers: 2 },
  '3 layers over 2 groups, 2 inner layers, exact gelu, 3 labels': { ...TINY, num_hidden_layers: 3, num_hidden_groups: 2, inner_group_num: 2, hidden_act: 'gelu', num_labels: 3 },
  '4 layers over 3 groups, relu, 3 token types': { ...TINY, num_hidden_layers: 4, num_hidden_groups: 3, hidden_act: 'relu', type_vocab_size: 3 },
};
let tokenizer: AlbertTokenizer;

beforeAll(async () => {
  tokenizer = await AlbertTokenizer.fromDirectory(path.join(SHARED_DATA, 'albert-v2-tokenizer'));
});
afterAll(removeTempDirs);

/** Logits of `file` for each batch, from onnxruntime-node (in a child process: see onnxruntime-run.mjs). */
function runOnnx(file: string, batches: Batch[]): number[][] {
  const input = { file, batches: batches.map((b) => ({ input_ids: Array.from(b.inputIds), attention_mask: Array.from(b.attentionMask), token_type_ids: Array.from(b.tokenTypeIds as Int32Array), batch_size: b.batchSize, seq_len: b.seqLen })) };
  return JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'onnxruntime-run.mjs')], { input: JSON.stringify(input), encoding: 'utf8', cwd: REPO_ROOT })) as number[][];
}

/** max |a - b| / max |b|. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe('onnxruntime-node runs the export and gives the addon\'s fp32 logits', () => {
  test.each(Object.entries(CONFIGS))('%s', async (_, config) => {
    const model = AlbertForSequenceClassification.fromConfig(config, { seed: 5 });
    const out = path.join(tempDir('onnx'), 'export');
    const exported = await exportOnnx(model, out, { tokenizer, quantize: true });
    expect(Object.keys(exported.files).sort()).toEqual(['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    // Shared layers are one initializer each: the file is the weights' size plus the graph.
    const weightBytes = model.parameters().reduce((sum, p) => sum + 4 * p.shape.reduce((a, b) => a * b, 1), 0);
    expect(exported.files['onnx/model.onnx']).toBeGreaterThan(weightBytes);
    expect(exported.files['onnx/model.onnx']).toBeLessThan(weightBytes * 1.05 + 60000);
    const types = config.type_vocab_size ?? 2;
    const batches = [randomBatch({ batchSize: 3, seqLen: 9, vocabSize: 120, seed: 1 }), randomBatch({ batchSize: 4, seqLen: 11, vocabSize: 120, padTail: 5, seed: 2 })]; // unpadded, padded
    for (const batch of batches) {
      const tokenTypes = batch.tokenTypeIds as Int32Array;
      tokenTypes.forEach((_, i) => { tokenTypes[i] = (i * 7) % types; });
    }
    const fp32 = runOnnx(path.join(out, 'onnx', 'model.onnx'), batches);
    const int8 = runOnnx(path.join(out, 'onnx', 'model_quantized.onnx'), batches);
    for (const [i, label] of ['unpadded', 'padded'].entries()) {
      const reference = (await model.forward(batches[i])).logits;
      expect([label, relative(fp32[i], reference) < 1e-5]).toEqual([label, true]);
      // int8 weights: close, not equal (the accuracy cost on SUBJ is measured in benchmarks/).
      const q = relative(int8[i], reference);
      expect([label, q > 0 && q < 0.15]).toEqual([label, true]);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).id2label).toEqual(model.config.id2label);
    model.dispose();
  });
});

describe('the exported folder in its users\' tools', () => {
  let model: AlbertForSequenceClassification;
  let out: string;
  const texts = fs.readFileSync(path.join(SHARED_DATA, 'subj', 'test.jsonl'), 'utf8').trim().split('\n').slice(0, 200).map((l) => (JSON.parse(l) as { text: string }).text);

  beforeAll(async () => {
    model = AlbertForSequenceClassification.fromConfig({ ...TINY, vocab_size: 30000, max_position_embeddings: 512, num_hidden_layers: 2, id2label: { 0: 'objective', 1: 'subjective' } }, { seed: 8 });
    out = path.join(tempDir('onnx'), 'subj-tiny');
    await exportOnnx(model, out, { tokenizer, quantize: true });
  });
  afterAll(() => model.dispose());

  test('transformers.js pipeline(\'text-classification\') offline: the labels and scores of predict on 200 SUBJ sentences', async () => {
    const ours = await predict(model, tokenizer, texts, { batchSize: 16 });
    const theirs = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'transformers-js.mjs'), out, 'fp32'], { input: JSON.stringify(texts), encoding: 'utf8', cwd: REPO_ROOT })) as Array<{ label: string; score: number }>;
    expect(theirs).toHaveLength(200);
    expect(new Set(ours.map((p) => p.label)).size).toBe(2); // both classes occur: the comparison can fail
    for (let i = 0; i < texts.length; i++) {
      expect([i, theirs[i].label, Math.abs(theirs[i].score - ours[i].score) < 1e-4]).toEqual([i, ours[i].label, true]);
    }
    const q8 = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'transformers-js.mjs'), out, 'q8'], { input: JSON.stringify(texts.slice(0, 20)), encoding: 'utf8', cwd: REPO_ROOT })) as Array<{ label: string }>;
    expect(q8).toHaveLength(20);
  }, 120000);

  test('Python: the onnx checker passes (both files), and onnxruntime gives HF transformers\' logits on the same weights', async () => {
    const hfDir = path.join(tempDir('onnx'), 'hf');
    await model.savePretrained(hfDir);
    const batch = randomBatch({ batchSize: 3, seqLen: 10, vocabSize: 30000, padTail: 4, seed: 9 });
    const rows = (a: Int32Array) => Array.from({ length: batch.batchSize }, (_, r) => Array.from(a.subarray(r * batch.seqLen, (r + 1) * batch.seqLen)));
    const result = runReference<{ checker: string; hf: number[]; onnxruntime: number[] }>('onnx_reference.py', [], {
      onnx: path.join(out, 'onnx', 'model.onnx'), also_check: [path.join(out, 'onnx', 'model_quantized.onnx')], hf_dir: hfDir, input_ids: rows(batch.inputIds), attention_mask: rows(batch.attentionMask), token_type_ids: rows(batch.tokenTypeIds as Int32Array),
    });
    expect(result.checker).toBe('ok');
    expect(relative(result.onnxruntime, result.hf)).toBeLessThan(1e-5);
  }, 120000);
});

describe('bad input: one clear error, nothing half-written', () => {
  test('an existing folder is refused unless overwrite; overwrite replaces it', async () => {
    const model = AlbertForSequenceClassification.fromConfig(TINY, { seed: 1 });
    const out = tempDir('onnx-exists');
    fs.writeFileSync(path.join(out, 'keep.txt'), 'x');
    await expectError(() => exportOnnx(model, out, { tokenizer }), 'ERR_IO', `${out}: exists; choose another --output or pass --overwrite-output-dir (API: overwrite: true)`);
    expect(fs.readdirSync(out)).toEqual(['keep.txt']);
    await exportOnnx(model, out, { tokenizer, overwrite: true });
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'onnx', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json']);
    model.dispose();
  });

  test('an unwritable path, a disposed model, no tokenizer', async () => {
    const model = AlbertForSequenceClassification.fromConfig(TINY, { seed: 1 });
    const parent = tempDir('onnx-bad');
    fs.writeFileSync(path.join(parent, 'a-file'), 'x');
    await expectError(() => exportOnnx(model, path.join(parent, 'a-file', 'out'), { tokenizer }), 'ERR_IO', new RegExp(`cannot create the output directory`));
    expect(fs.readdirSync(parent)).toEqual(['a-file']);
    await expectError(() => exportOnnx(model, path.join(parent, 'out'), {} as never), 'ERR_ARGUMENT', /tokenizer/);
    model.dispose();
    await expectError(() => exportOnnx(model, path.join(parent, 'out'), { tokenizer }), 'ERR_DISPOSED', /disposed/);
    expect(fs.readdirSync(parent)).toEqual(['a-file']);
  });
});

describe('albert-train export', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });

  test('exports a trained folder; a base model (no trained classifier) and an existing --output are refused, exit 2, nothing written', async () => {
    const work = tempDir('onnx-cli');
    const trained = AlbertForSequenceClassification.fromConfig({ ...TINY, vocab_size: 30000, num_hidden_layers: 1 }, { seed: 2 });
    await trained.savePretrained(path.join(work, 'trained'), { tokenizer });
    trained.dispose();
    const ok = cli(['export', '--model', path.join(work, 'trained'), '--output', path.join(work, 'out'), '--quantize']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^exported .* \(onnx\/model\.onnx [\d.]+ MB, onnx\/model_quantized\.onnx [\d.]+ MB\) in [\d.]+ s\n$/);
    const again = cli(['export', '--model', path.join(work, 'trained'), '--output', path.join(work, 'out')]);
    expect([again.status, again.stderr]).toEqual([2, `albert-train: ERR_IO: ${path.join(work, 'out')}: exists; choose another --output or pass --overwrite-output-dir (API: overwrite: true)\n`]);
    // A base checkpoint: the weights of the classifier it lacks would be random.
    const base = path.join(work, 'base');
    fs.mkdirSync(base);
    fs.copyFileSync(path.join(path.join(work, 'trained'), 'config.json'), path.join(base, 'config.json'));
    fs.copyFileSync(path.join(SHARED_DATA, 'albert-v2-tokenizer', 'tokenizer.json'), path.join(base, 'tokenizer.json'));
    const safetensors = fs.readFileSync(path.join(work, 'trained', 'model.safetensors'));
    const headerLength = Number(safetensors.readBigUInt64LE(0));
    const header = JSON.parse(safetensors.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(header)).toContain('classifier.weight');
    runReference('pretrained_reference.py', [], { drop_head: { source: path.join(work, 'trained', 'model.safetensors'), target: path.join(base, 'model.safetensors') } });
    const refused = cli(['export', '--model', base, '--output', path.join(work, 'out-base')]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/model\.safetensors: has no trained classification head \(missing .*classifier\.weight.*\): it holds a base model/);
    expect(fs.existsSync(path.join(work, 'out-base'))).toBe(false);
  }, 120000);
});
