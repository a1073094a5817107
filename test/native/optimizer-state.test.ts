// Optimizer state: saveState/loadState resume exactly (weights + AdamW moments + steps + loss
// scaler); a state for another model, or with a tensor of another dtype, is ERR_CHECKPOINT naming
// the key and changes nothing; a save that cannot be written is ERR_IO and leaves no temporary
// file behind.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import type { AlbertConfigOverrides } from '../../ts/model/config';
import { TrainingSession, type TrainingSessionOptions } from '../../ts/training-session';
import { sameValues, snapshot, tinyModel } from '../helpers/tiny-model';
import { randomBatch, toyBatch } from '../helpers/batches';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { readBytes } from '../helpers/bytes';
import { type TensorEntry, decodeSafetensors, encodeSafetensors, f32Values, halfEntry } from '../helpers/safetensors';
import { expectError, re } from '../helpers/expect-error';

afterAll(removeTempDirs);

const OPTIONS: TrainingSessionOptions = { optimizer: { weightDecay: 0.01, betas: [0.9, 0.98] }, maxGradNorm: 0.5 };
const batches = [toyBatch({ seed: 1 }), randomBatch({ batchSize: 4, seqLen: 12, padTail: 3, seed: 9 })];
const LR = 2e-3;

async function train(trainer: TrainingSession, steps: number, from = 0): Promise<number[]> {
  const losses: number[] = [];
  for (let i = from; i < from + steps; i++) losses.push((await trainer.step(batches[i % 2], LR)).loss);
  return losses;
}

/** Trains `model` 5 steps and saves its weights (dir) and the trainer's state (file). */
async function trainedAndSaved(options: TrainingSessionOptions, config: AlbertConfigOverrides = {}) {
  const model = tinyModel(config, 20);
  const trainer = new TrainingSession(model, options);
  await train(trainer, 5);
  const dir = tempDir('resume');
  const state = path.join(dir, 'optimizer.safetensors');
  await model.savePretrained(dir);
  await trainer.saveState(state);
  return { model, trainer, dir, state };
}

describe('saveState / loadState round trip', () => {
  test('fp32: a resumed run takes exactly the same next 5 steps', async () => {
    const { model, trainer, dir, state } = await trainedAndSaved(OPTIONS);
    const expected = await train(trainer, 5, 5);
    const expectedWeights = snapshot(model);

    const resumedModel = await AlbertForSequenceClassification.fromPretrained(dir);
    const resumed = new TrainingSession(resumedModel, OPTIONS);
    await resumed.loadState(state);
    expect(resumed.stepCount).toBe(5);
    expect(await train(resumed, 5, 5)).toEqual(expected); // exact, not close
    expect(sameValues(snapshot(resumedModel), expectedWeights)).toBe(true);

    // The state matters: a fresh optimizer on the same weights takes different steps.
    const freshModel = await AlbertForSequenceClassification.fromPretrained(dir);
    const fresh = new TrainingSession(freshModel, OPTIONS);
    expect(await train(fresh, 5, 5)).not.toEqual(expected);

    for (const t of [trainer, resumed, fresh]) t.dispose();
    for (const m of [model, resumedModel, freshModel]) m.dispose();
  });

  test('the state file says what it is and how many steps it holds', async () => {
    const { model, trainer, state } = await trainedAndSaved(OPTIONS);
    const { entries, metadata } = decodeSafetensors(readBytes(state));
    expect(metadata).toEqual({ format: 'albert-trainer-optimizer', steps: '5' });
    const names = entries.map((e) => e.name);
    for (const { name } of model.parameters()) {
      expect(names).toEqual(expect.arrayContaining([`exp_avg.${name}`, `exp_avg_sq.${name}`, `step.${name}`]));
    }
    expect(names).toEqual(expect.arrayContaining(['scaler.scale', 'scaler.growth_tracker']));
    trainer.dispose();
    model.dispose();
  });

  test('fp16: the loss scale and its growth streak are restored too', async () => {
    const fp16: TrainingSessionOptions = { ...OPTIONS, amp: 'fp16', lossScale: { init: 256, growthInterval: 3 } };
    const { model, trainer, dir, state } = await trainedAndSaved(fp16);
    expect(trainer.lossScale).toBe(512); // grew after step 3; steps 4 and 5 are 2 of the next 3
    const expected: number[] = [];
    const expectedScales: number[] = [];
    for (let i = 5; i < 8; i++) {
      const r = await trainer.step(batches[i % 2], LR);
      expected.push(r.loss);
      expectedScales.push(r.lossScale);
    }
    expect(expectedScales).toEqual([1024, 1024, 1024]);

    const resumedModel = await AlbertForSequenceClassification.fromPretrained(dir);
    const resumed = new TrainingSession(resumedModel, fp16); // init 256: loadState must replace it
    await resumed.loadState(state);
    expect([resumed.stepCount, resumed.lossScale]).toEqual([5, 512]);
    const losses: number[] = [];
    const scales: number[] = [];
    for (let i = 5; i < 8; i++) {
      const r = await resumed.step(batches[i % 2], LR);
      losses.push(r.loss);
      scales.push(r.lossScale);
    }
    expect(scales).toEqual(expectedScales);
    expect(losses).toEqual(expected);
    for (const t of [trainer, resumed]) t.dispose();
    for (const m of [model, resumedModel]) m.dispose();
  });

  test('saving twice over the same file replaces it', async () => {
    const { model, trainer, state } = await trainedAndSaved(OPTIONS);
    await train(trainer, 1, 5);
    await trainer.saveState(state);
    expect(decodeSafetensors(readBytes(state)).metadata.steps).toBe('6');
    expect(fs.readdirSync(path.dirname(state)).filter((f) => f.includes('.tmp'))).toEqual([]);
    trainer.dispose();
    model.dispose();
  });
});

describe('a state that does not fit is ERR_CHECKPOINT naming the key, and changes nothing', () => {
  let source: Awaited<ReturnType<typeof trainedAndSaved>>;
  beforeAll(async () => {
    source = await trainedAndSaved(OPTIONS);
  });
  afterAll(() => {
    source.trainer.dispose();
    source.model.dispose();
  });

  /** A fresh trainer on `config`; after the failed load it must still take a fresh trainer's first step. */
  async function expectRefused(config: AlbertConfigOverrides, file: string, message: string | RegExp): Promise<void> {
    const [model, twin] = [tinyModel(config, 30), tinyModel(config, 30)];
    const [trainer, untouched] = [new TrainingSession(model, OPTIONS), new TrainingSession(twin, OPTIONS)];
    await expectError(() => trainer.loadState(file), 'ERR_CHECKPOINT', message);
    expect(trainer.stepCount).toBe(0);
    expect(trainer.lossScale).toBe(1);
    expect(await trainer.step(batches[0], LR)).toEqual(await untouched.step(batches[0], LR));
    expect(sameValues(snapshot(model), snapshot(twin))).toBe(true);
    for (const t of [trainer, untouched]) t.dispose();
    for (const m of [model, twin]) m.dispose();
  }

  test('another hidden_size', async () => {
    await expectRefused(
      { hidden_size: 24 },
      source.state,
      `${source.state}: optimizer state "exp_avg.albert.encoder.embedding_hidden_mapping_in.weight" has shape [16, 8] but the model's parameter has [24, 8]`,
    );
  });

  test('another num_labels', async () => {
    await expectRefused({ num_labels: 3 }, source.state, `${source.state}: optimizer state "exp_avg.classifier.weight" has shape [2, 16] but the model's parameter has [3, 16]`);
  });

  test('more parameter groups in the model than in the state: the missing key is named', async () => {
    await expectRefused(
      { num_hidden_groups: 2 },
      source.state,
      `${source.state}: optimizer state "exp_avg.albert.encoder.albert_layer_groups.1.albert_layers.0.full_layer_layer_norm.weight" is missing`,
    );
  });

  test('fewer parameter groups in the model than in the state: the unexpected keys are refused, not ignored', async () => {
    const twoGroups = await trainedAndSaved(OPTIONS, { num_hidden_groups: 2 });
    await expectRefused({}, twoGroups.state, new RegExp(`^${re(twoGroups.state)}: .*exp_avg\\.albert\\.encoder\\.albert_layer_groups\\.1\\.`));
    twoGroups.trainer.dispose();
    twoGroups.model.dispose();
  });

  test('a model weights file instead of a state file', async () => {
    const weights = path.join(source.dir, 'model.safetensors');
    await expectRefused(
      {},
      weights,
      `${weights}: unexpected state "albert.embeddings.word_embeddings.weight": the file was saved for a different model`,
    );
  });

  test('a state without the loss-scaler entries: refused before any of the optimizer state is taken', async () => {
    const { entries, metadata } = decodeSafetensors(readBytes(source.state));
    const file = path.join(tempDir('noscaler'), 'state.safetensors');
    fs.writeFileSync(file, encodeSafetensors(entries.filter((e) => !e.name.startsWith('scaler.')), metadata));
    await expectRefused({}, file, `${file}: loss-scaler state (scaler.scale, scaler.growth_tracker) is missing or malformed`);
  });

  /** The state file with the entry `key` re-encoded by `recode`. */
  function withEntry(key: string, recode: (entry: TensorEntry) => TensorEntry, label: string): string {
    const { entries, metadata } = decodeSafetensors(readBytes(source.state));
    expect(entries.map((e) => e.name)).toContain(key);
    const file = path.join(tempDir(label), 'state.safetensors');
    fs.writeFileSync(file, encodeSafetensors(entries.map((e) => (e.name === key ? recode(e) : e)), metadata));
    return file;
  }
  const asF64 = (e: TensorEntry): TensorEntry => ({ ...e, dtype: 'F64', data: new Uint8Array(Float64Array.from(f32Values(e)).buffer) });
  const asI64 = (e: TensorEntry): TensorEntry => ({ ...e, dtype: 'I64', data: new Uint8Array(BigInt64Array.from(new Int32Array(e.data.slice().buffer), BigInt).buffer) });

  test.each([
    ['a float64 exp_avg', 'exp_avg.classifier.weight', asF64, 'optimizer state "exp_avg.classifier.weight" has dtype float64; this trainer keeps it in float32'],
    ['a bfloat16 exp_avg_sq', 'exp_avg_sq.albert.pooler.weight', (e: TensorEntry) => halfEntry(e, 'BF16').entry, 'optimizer state "exp_avg_sq.albert.pooler.weight" has dtype bfloat16; this trainer keeps it in float32'],
    ['a float64 step', 'step.classifier.bias', asF64, 'optimizer state "step.classifier.bias" has dtype float64; this trainer keeps it in float32'],
    ['a float64 loss scale', 'scaler.scale', asF64, 'loss-scaler state "scaler.scale" has dtype float64; this trainer keeps it in float32'],
    ['an int64 growth tracker', 'scaler.growth_tracker', asI64, 'loss-scaler state "scaler.growth_tracker" has dtype int64; this trainer keeps it in int32'],
  ])('%s (right shape, other dtype) is refused naming the tensor and both dtypes', async (label, key, recode, message) => {
    const file = withEntry(key, recode, label.replace(/ /g, '-'));
    await expectRefused({}, file, `${file}: ${message}`);
  });

  test('a truncated state file is ERR_SAFETENSORS naming the file', async () => {
    const file = path.join(tempDir('cut'), 'state.safetensors');
    const bytes = readBytes(source.state);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 16));
    const model = tinyModel({}, 30);
    const trainer = new TrainingSession(model, OPTIONS);
    await expectError(() => trainer.loadState(file), 'ERR_SAFETENSORS', new RegExp(`^${re(file)}: the file is truncated`));
    expect(trainer.stepCount).toBe(0);
    trainer.dispose();
    model.dispose();
  });
});

describe('saveState that cannot write', () => {
  let model: AlbertForSequenceClassification;
  let trainer: TrainingSession;
  beforeAll(async () => {
    model = tinyModel();
    trainer = new TrainingSession(model);
    await trainer.step(batches[0], LR);
  });
  afterAll(() => {
    trainer.dispose();
    model.dispose();
  });

  test('into a missing folder is ERR_IO naming the file; nothing is created', async () => {
    const root = tempDir('nofolder');
    const file = path.join(root, 'missing', 'state.safetensors');
    await expectError(
      () => trainer.saveState(file),
      'ERR_IO',
      new RegExp(`^${re(file)}: cannot create the temporary file ${re(file)}\\.tmp-\\d+-[0-9a-f]{8}: No such file or directory$`),
    );
    expect(fs.readdirSync(root)).toEqual([]);
  });

  test('over a folder is ERR_IO, and the temporary file is removed', async () => {
    const root = tempDir('overdir');
    const file = path.join(root, 'state.safetensors');
    fs.mkdirSync(file);
    await expectError(() => trainer.saveState(file), 'ERR_IO', new RegExp(`^${re(file)}: cannot rename the temporary file ${re(file)}\\.tmp-\\d+-[0-9a-f]{8} over it: Is a directory$`));
    expect(fs.readdirSync(root)).toEqual(['state.safetensors']);
  });

  test('an empty or non-string path is ERR_ARGUMENT', async () => {
    await expectError(() => trainer.saveState(''), 'ERR_ARGUMENT', 'Expected a file path for file but received "" of type string');
    await expectError(() => trainer.loadState(42 as never), 'ERR_ARGUMENT', 'Expected a file path for file but received 42 of type number');
  });

  test('the trainer is unharmed by the failed saves', async () => {
    expect(trainer.stepCount).toBe(1);
    const file = path.join(tempDir('ok'), 'state.safetensors');
    await trainer.saveState(file);
    expect(decodeSafetensors(readBytes(file)).metadata.steps).toBe('1');
  });
});
