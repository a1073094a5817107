// Fine-tuning starts from checkpoints users have: every ALBERT architecture HF saves, as
// safetensors and as pytorch_model.bin, made by HF transformers itself
// (test/reference/pretrained_reference.py). Loading follows HF's from_pretrained: its reported
// missing/unexpected/mismatched keys are HF's own for the same file, the backbone is the file's
// bit for bit, a missing head is initialised from the seed, and what we save loads in HF with
// nothing missing. What must still be refused is, with the file and key named.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification, AlbertTokenizer, TrainingSession } from '../../ts';
import type { Batch, LoadingInfo } from '../../ts';
import { diffSeries, ParityReport } from '../helpers/compare';
import { randomBatch } from '../helpers/batches';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { readBytes } from '../helpers/bytes';
import { expectError } from '../helpers/expect-error';
import { SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

const ARCHS = ['AlbertModel', 'AlbertForMaskedLM', 'AlbertForPreTraining', 'AlbertForTokenClassification',
  'AlbertForQuestionAnswering', 'AlbertForMultipleChoice', 'AlbertForSequenceClassification'] as const;
const SMALL = { hidden_size: 32, num_attention_heads: 4, intermediate_size: 37, embedding_size: 16, num_hidden_layers: 2, vocab_size: 120,
  max_position_embeddings: 40, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, classifier_dropout_prob: 0 };
const WIDE = { ...SMALL, hidden_size: 256, num_hidden_layers: 1, intermediate_size: 64 };
const RECIPE = { steps: 20, lr: 1e-3, weight_decay: 0.01, betas: [0.9, 0.999] as [number, number], eps: 1e-8, max_grad_norm: 1.0, warmup_ratio: 0.2 };
const SEED = 7;

interface HfInfo { missing_keys: string[]; unexpected_keys: string[]; mismatched_keys: string[]; raised: string | null }
interface Made { loading_info: Record<string, HfInfo>; training: { losses: number[]; grad_norms: number[]; lrs: number[] } }
interface Checked { missing_keys: string[]; unexpected_keys: string[]; mismatched_keys: string[]; backbone_tensors: number; differing: string[] }

const batches: Batch[] = [0, 1, 2].map((i) => randomBatch({ batchSize: 4, seqLen: 12, vocabSize: 120, padTail: 3, seed: 11 + i }));
const toPython = (b: Batch) => {
  const rows = (a: Int32Array) => Array.from({ length: b.batchSize }, (_, r) => Array.from(a.subarray(r * b.seqLen, (r + 1) * b.seqLen)));
  return { input_ids: rows(b.inputIds), attention_mask: rows(b.attentionMask), token_type_ids: rows(b.tokenTypeIds as Int32Array), labels: Array.from(b.labels as Int32Array), labels_float: false };
};

let work: string;
let made: Made;
const dir = (name: string) => path.join(work, name);
const sorted = (info: LoadingInfo) => ({
  missing_keys: [...info.missingKeys].sort(), unexpected_keys: [...info.unexpectedKeys].sort(), mismatched_keys: info.mismatchedKeys.map((m) => m.key).sort(),
});
/** Bit-for-bit equality of two float arrays (NaN-safe, -0 != 0). */
const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((v, i) => v === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);
const isBackbone = (name: string) => name.startsWith('albert.') && !name.startsWith('albert.pooler.');

beforeAll(() => {
  work = tempDir('pretrained');
  const hubConfig = JSON.parse(fs.readFileSync(path.join(SHARED_DATA, 'albert-configs', 'albert-large-v2.json'), 'utf8')) as Record<string, unknown>;
  made = runReference<Made>('pretrained_reference.py', [], {
    make: { dir: work, seed: SEED, config: { ...hubConfig, ...SMALL }, wide_config: { ...hubConfig, ...WIDE }, batches: batches.map(toPython), train: RECIPE },
  });
}, 300000);
afterAll(removeTempDirs);

describe('every ALBERT architecture HF saves loads as HF loads it', () => {
  const saved: Array<{ name: string; source: string; ours: string }> = [];

  test.each(ARCHS)('%s: the same missing, unexpected and mismatched keys as HF\'s output_loading_info', async (arch) => {
    const hf = made.loading_info[arch];
    const mismatched = hf.raised !== null;
    if (mismatched) {
      // HF refuses a classifier of another shape unless told; so do we, naming the shapes and the flag.
      expect(hf.raised).toMatch(/ignore_mismatched_sizes/);
      await expectError(() => AlbertForSequenceClassification.fromPretrained(dir(arch)), 'ERR_CHECKPOINT',
        `${path.join(dir(arch), 'model.safetensors')}: weight "classifier.weight" has shape [1, 32] but the model's config needs [2, 32] (num_labels 2); ` +
        'pass --ignore-mismatched-sizes (API: ignoreMismatchedSizes) to re-initialise the classifier');
    }
    const model = await AlbertForSequenceClassification.fromPretrained(dir(arch), { ignoreMismatchedSizes: mismatched });
    const info = model.loadingInfo as LoadingInfo;
    expect(sorted(info)).toEqual({ missing_keys: hf.missing_keys, unexpected_keys: hf.unexpected_keys, mismatched_keys: hf.mismatched_keys });
    if (mismatched) expect(info.mismatchedKeys).toContainEqual({ key: 'classifier.weight', checkpointShape: [1, 32], modelShape: [2, 32] });
    const ours = dir(`ours-${arch}`);
    await model.savePretrained(ours);
    saved.push({ name: arch, source: dir(arch), ours });
    model.dispose();
  });

  test('what we saved loads in HF with nothing missing or unexpected, the backbone the checkpoint\'s bit for bit', () => {
    expect(saved.map((s) => s.name).sort()).toEqual([...ARCHS].sort());
    const checked = runReference<Record<string, Checked>>('pretrained_reference.py', [], { check: saved });
    for (const { name } of saved) {
      expect([name, checked[name]]).toEqual([name, { missing_keys: [], unexpected_keys: [], mismatched_keys: [], backbone_tensors: 23, differing: [] }]);
    }
  }, 120000);

  test('pytorch_model.bin (torch.save of the state dict) loads, read weights-only, to the same weights as its safetensors', async () => {
    const fromBin = await AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM-bin'));
    const fromSafetensors = await AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM'));
    expect(fromBin.checkpointFile).toBe(path.join(dir('AlbertForMaskedLM-bin'), 'pytorch_model.bin'));
    const hf = made.loading_info['AlbertForMaskedLM-bin'];
    // The .bin holds the tied decoder too (torch.save keeps it; save_pretrained drops it): HF reports what we report.
    expect(sorted(fromBin.loadingInfo as LoadingInfo)).toEqual({ missing_keys: hf.missing_keys, unexpected_keys: hf.unexpected_keys, mismatched_keys: [] });
    for (const { name } of fromSafetensors.parameters()) {
      expect([name, sameBits(fromBin.getParameter(name), fromSafetensors.getParameter(name))]).toEqual([name, true]);
    }
    fromBin.dispose();
    fromSafetensors.dispose();
    // A fine-tuned classifier saved as .bin loads strictly, as eval and predict need.
    const strict = await AlbertForSequenceClassification.fromPretrained(dir('AlbertForSequenceClassification-bin'), { strict: true });
    expect(sorted(strict.loadingInfo as LoadingInfo)).toEqual({ missing_keys: [], unexpected_keys: [], mismatched_keys: [] });
    strict.dispose();
  });
});

describe('the head a base checkpoint lacks is initialised as HF\'s _init_weights does, from the seed', () => {
  test('normal(0, initializer_range) weights, zero biases; same seed same head, another seed another head', async () => {
    const load = (seed: number) => AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM-wide'), { seed });
    const [a, b, c] = [await load(3), await load(3), await load(4)];
    expect((a.loadingInfo as LoadingInfo).missingKeys.sort()).toEqual(['albert.pooler.bias', 'albert.pooler.weight', 'classifier.bias', 'classifier.weight']);
    const pooler = a.getParameter('albert.pooler.weight'); // (256, 256): 65,536 draws
    const mean = pooler.reduce((s, v) => s + v, 0) / pooler.length;
    const std = Math.sqrt(pooler.reduce((s, v) => s + (v - mean) ** 2, 0) / pooler.length);
    expect(Math.abs(mean)).toBeLessThan(0.02 * 0.02);
    expect(Math.abs(std / a.config.initializer_range - 1)).toBeLessThan(0.03);
    for (const bias of ['albert.pooler.bias', 'classifier.bias']) expect(Array.from(a.getParameter(bias)).every((v) => v === 0)).toBe(true);
    for (const name of ['albert.pooler.weight', 'classifier.weight']) {
      expect(Array.from(a.getParameter(name))).toEqual(Array.from(b.getParameter(name)));
      expect(Array.from(a.getParameter(name))).not.toEqual(Array.from(c.getParameter(name)));
    }
    // The backbone is the file's whatever the seed.
    expect(Array.from(a.getParameter('albert.embeddings.word_embeddings.weight'))).toEqual(Array.from(c.getParameter('albert.embeddings.word_embeddings.weight')));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('after the head, training matches HF transformers from the same base checkpoint', () => {
  test('backbone bit-exact with HF\'s load of AlbertForMaskedLM; with HF\'s head, 20 fp32 AdamW steps within float32 rounding', async () => {
    const ours = await AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM'));
    const hfLoaded = await AlbertForSequenceClassification.fromPretrained(dir('hf-seqcls'), { strict: true });
    const backbone = ours.parameters().map((p) => p.name).filter(isBackbone);
    expect(backbone).toHaveLength(23);
    for (const name of backbone) expect([name, sameBits(ours.getParameter(name), hfLoaded.getParameter(name))]).toEqual([name, true]);
    hfLoaded.dispose();
    await ours.loadWeights(path.join(dir('hf-seqcls'), 'model.safetensors')); // HF's head (test-only: the head HF drew)
    const trainer = new TrainingSession(ours, { optimizer: { betas: RECIPE.betas, eps: RECIPE.eps, weightDecay: RECIPE.weight_decay }, maxGradNorm: RECIPE.max_grad_norm, amp: 'off' });
    const losses: number[] = [];
    const norms: number[] = [];
    for (let i = 0; i < RECIPE.steps; i++) {
      const result = await trainer.step(batches[i % batches.length], made.training.lrs[i]);
      losses.push(result.loss);
      norms.push(result.gradNorm);
    }
    trainer.dispose();
    ours.dispose();
    const report = new ParityReport();
    report.expectWithin('losses from the MaskedLM checkpoint', diffSeries('loss', losses, made.training.losses, { tol: 1e-4 }));
    report.expectWithin('grad norms from the MaskedLM checkpoint', diffSeries('gradNorm', norms, made.training.grad_norms, { tol: 1e-4 }));
    expect(new Set(made.training.losses.map((l) => l.toFixed(3))).size).toBeGreaterThan(5); // it trained: the losses moved
  });
});

describe('refused, with the file and the key named; never a silently random backbone', () => {
  const weights = (name: string) => path.join(dir(name), 'model.safetensors');

  test('a backbone tensor missing from the file', async () => {
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('missing-backbone')), 'ERR_CHECKPOINT',
      `${weights('missing-backbone')}: missing 1 backbone weight(s) the model needs: albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight`);
  });

  test('a backbone tensor of the wrong shape, even with ignoreMismatchedSizes', async () => {
    for (const ignoreMismatchedSizes of [false, true]) {
      await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('wrong-shape'), { ignoreMismatchedSizes }), 'ERR_CHECKPOINT',
        `${weights('wrong-shape')}: weight "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight" has shape [37, 31] but the model's config needs [37, 32]`);
    }
  });

  test('BERT weights under an ALBERT config; a BERT config', async () => {
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('bert-weights')), 'ERR_CHECKPOINT',
      new RegExp(`^${weights('bert-weights').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not an ALBERT checkpoint: none of its \\d+ tensors is an ALBERT encoder weight \\(its keys begin embeddings\\.`));
    const bertConfig = tempDir('bert');
    fs.writeFileSync(path.join(bertConfig, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 32 }));
    await expectError(() => AlbertForSequenceClassification.fromPretrained(bertConfig), 'ERR_CONFIG', /model_type.*expected "albert" but received "bert"/);
  });

  test('a truncated safetensors file and a truncated .bin', async () => {
    const cut = tempDir('cut');
    fs.copyFileSync(path.join(dir('AlbertForMaskedLM'), 'config.json'), path.join(cut, 'config.json'));
    const bytes = readBytes(weights('AlbertForMaskedLM'));
    fs.writeFileSync(path.join(cut, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    await expectError(() => AlbertForSequenceClassification.fromPretrained(cut), 'ERR_SAFETENSORS', new RegExp(`^${path.join(cut, 'model.safetensors')}: `));
    fs.rmSync(path.join(cut, 'model.safetensors'));
    const bin = readBytes(path.join(dir('AlbertForMaskedLM-bin'), 'pytorch_model.bin'));
    fs.writeFileSync(path.join(cut, 'pytorch_model.bin'), bin.subarray(0, Math.floor(bin.length / 2)));
    await expectError(() => AlbertForSequenceClassification.fromPretrained(cut), 'ERR_CHECKPOINT', new RegExp(`^${path.join(cut, 'pytorch_model.bin')}: not a readable torch.save archive`));
  });

  test('a .bin whose pickle calls os.system: refused naming the global, and nothing ran', async () => {
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('evil-bin')), 'ERR_CHECKPOINT',
      `${path.join(dir('evil-bin'), 'pytorch_model.bin')}: refused: its pickle asks for the global "posix.system", and a weights file may hold only tensors, ` +
      'storages and dicts (read weights-only, as torch.load(weights_only=True) does; nothing in it was run)');
    expect(fs.existsSync(path.join(work, 'PWNED'))).toBe(false);
  });

  test('a legacy (torch < 1.6) .bin says how to re-save it', async () => {
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('legacy-bin')), 'ERR_CHECKPOINT', /a legacy \(torch < 1\.6\) torch\.save file, which is not read; re-save it/);
  });

  test('strict (eval, predict): a base model has no trained classifier, and says so', async () => {
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM'), { strict: true }), 'ERR_CHECKPOINT',
      `${weights('AlbertForMaskedLM')}: has no trained classification head (missing albert.pooler.weight, albert.pooler.bias, classifier.weight, classifier.bias): ` +
      'it holds a base model; fine-tune it first (albert-train train), then use the output folder');
  });

  test('bad options are ERR_ARGUMENT', async () => {
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM'), { strict: 'yes' as unknown as boolean }), 'ERR_ARGUMENT', /strict/);
    await expectError(() => AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM'), { seed: -1 }), 'ERR_ARGUMENT', /seed/);
  });
});

describe('folders that predict and eval can use', () => {
  test('savePretrained(dir, { tokenizer }) writes the tokenizer files beside the weights; without it, the tokenizer error says what supplies one', async () => {
    const model = await AlbertForSequenceClassification.fromPretrained(dir('AlbertForMaskedLM'));
    const tokenizerDir = path.join(SHARED_DATA, 'albert-v2-tokenizer');
    const tokenizer = await AlbertTokenizer.fromDirectory(tokenizerDir);
    const withTokenizer = path.join(tempDir('save'), 'with');
    await model.savePretrained(withTokenizer, { tokenizer });
    expect(fs.readdirSync(withTokenizer).sort()).toEqual(['config.json', 'model.safetensors', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readBytes(path.join(withTokenizer, 'tokenizer.json'))).toEqual(readBytes(path.join(tokenizerDir, 'tokenizer.json')));
    expect((await AlbertTokenizer.fromDirectory(withTokenizer)).encode('a fine plot')).toEqual(tokenizer.encode('a fine plot'));
    const without = path.join(tempDir('save'), 'without');
    await model.savePretrained(without);
    model.dispose();
    await expectError(() => AlbertTokenizer.fromDirectory(without), 'ERR_IO',
      `${path.join(without, 'tokenizer.json')}: no such file; ${without} has no fast tokenizer. Pass --tokenizer with a folder that has tokenizer.json ` +
      '(an albert-*-v2 tokenizer for the ALBERT v2 checkpoints), or save the model with its tokenizer (savePretrained(dir, { tokenizer }))');
    fs.copyFileSync(path.join(tokenizerDir, 'spiece.model'), path.join(without, 'spiece.model'));
    await expectError(() => AlbertTokenizer.fromDirectory(without), 'ERR_IO',
      /has no fast tokenizer, only the sentencepiece model spiece\.model, which is not read here: convert it once with HF \(AlbertTokenizerFast\.from_pretrained\(dir\)\.save_pretrained\(dir\) writes tokenizer\.json\)/);
  });
});
