// Lifecycle: one call at a time per model (ERR_BUSY, and the call that runs is unharmed),
// dispose (ERR_BUSY while busy, ERR_DISPOSED after), errors that reach the caller as
// AlbertTrainerError with the caller's stack, and steps that run off the event loop.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import type { AlbertConfigOverrides } from '../../ts/model/config';
import { native } from '../../ts/native';
import { TrainingSession } from '../../ts/training-session';
import { maxAbsDiff, sameValues, snapshot, tinyModel } from '../helpers/tiny-model';
import { randomBatch } from '../helpers/batches';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { caught, expectError, expectThrowSync, expectWrapped } from '../helpers/expect-error';

const THIS_FILE = 'lifecycle.test.ts';

/** Big enough that one step takes ~100+ ms on 2 cores, so calls overlap it reliably. */
const MEDIUM: AlbertConfigOverrides = {
  vocab_size: 1000,
  embedding_size: 64,
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  intermediate_size: 1024,
  max_position_embeddings: 64,
  classifier_dropout_prob: 0,
};
const mediumBatch = randomBatch({ batchSize: 8, seqLen: 64, vocabSize: 1000, seed: 2 });
const tinyBatch = randomBatch({ batchSize: 2, seqLen: 8 });

const BUSY = (what: string) => `${what}: the model is busy with another call; await it first`;
const MODEL_DISPOSED = 'this model was disposed; create or load a new one';
const TRAINER_DISPOSED = 'this trainer was disposed';

afterAll(removeTempDirs);

describe('one call at a time per model', () => {
  test('a second forward while one runs is ERR_BUSY; the first resolves correctly', async () => {
    const model = AlbertForSequenceClassification.fromConfig(MEDIUM, { seed: 3 });
    const first = model.forward(mediumBatch);
    await expectError(() => model.forward(mediumBatch), 'ERR_BUSY', BUSY('forward'));
    // The failed call must not have released the lease of the running one.
    await expectError(() => model.forward(mediumBatch), 'ERR_BUSY', BUSY('forward'));
    expectThrowSync(() => model.getParameter('classifier.bias'), 'ERR_BUSY', BUSY('getParameter'));
    const logits = (await first).logits;
    expect(maxAbsDiff(logits, (await model.forward(mediumBatch)).logits)).toBe(0);
    model.dispose();
  });

  test('calls during a trainer step are ERR_BUSY; the step is the same as an undisturbed one', async () => {
    const [model, twin] = [AlbertForSequenceClassification.fromConfig(MEDIUM, { seed: 4 }), AlbertForSequenceClassification.fromConfig(MEDIUM, { seed: 4 })];
    const [trainer, twinTrainer] = [new TrainingSession(model), new TrainingSession(twin)];
    const running = trainer.step(mediumBatch, 1e-3);
    await expectError(() => trainer.step(mediumBatch, 1e-3), 'ERR_BUSY', BUSY('step'));
    await expectError(() => trainer.evalStep(mediumBatch), 'ERR_BUSY', BUSY('evalStep'));
    await expectError(() => trainer.computeGradients(mediumBatch), 'ERR_BUSY', BUSY('computeGradients'));
    await expectError(() => model.forward(mediumBatch), 'ERR_BUSY', BUSY('forward'));
    const dir = tempDir('busy');
    await expectError(() => model.savePretrained(dir), 'ERR_BUSY', BUSY('saveWeights'));
    await expectError(() => trainer.saveState(path.join(dir, 'state.safetensors')), 'ERR_BUSY', BUSY('saveState'));
    expectThrowSync(() => trainer.lossScale, 'ERR_BUSY', 'lossScale: the model is busy with another call; await it first');
    expectThrowSync(() => new TrainingSession(model), 'ERR_BUSY', 'Trainer: the model is busy with another call; await it first');
    expect(fs.readdirSync(dir)).toEqual([]); // nothing written by the refused saves
    const [result, alone] = [await running, await twinTrainer.step(mediumBatch, 1e-3)];
    expect(result).toEqual(alone);
    expect(trainer.stepCount).toBe(1);
    expect(sameValues(snapshot(model), snapshot(twin))).toBe(true);
    for (const t of [trainer, twinTrainer]) t.dispose();
    for (const m of [model, twin]) m.dispose();
  });

  test('two models run at the same time, each giving what it gives alone', async () => {
    const [a, b] = [tinyModel({}, 1), tinyModel({}, 2)];
    const [aloneA, aloneB] = [(await a.forward(tinyBatch)).logits, (await b.forward(tinyBatch)).logits];
    const [ra, rb] = await Promise.all([a.forward(tinyBatch), b.forward(tinyBatch)]);
    expect(ra.logits).toEqual(aloneA);
    expect(rb.logits).toEqual(aloneB);
    expect(aloneA).not.toEqual(aloneB); // two different models: a swapped result would show
    a.dispose();
    b.dispose();
  });
});

describe('dispose', () => {
  test('while a forward or step runs is ERR_BUSY, and works once it is over', async () => {
    const model = AlbertForSequenceClassification.fromConfig(MEDIUM, { seed: 5 });
    const trainer = new TrainingSession(model);
    const running = trainer.step(mediumBatch, 1e-3);
    expectThrowSync(() => model.dispose(), 'ERR_BUSY', BUSY('dispose'));
    expectThrowSync(() => trainer.dispose(), 'ERR_BUSY', 'dispose: the trainer is busy with a step; await it first');
    expect(Number.isFinite((await running).loss)).toBe(true);
    const forward = model.forward(mediumBatch);
    expectThrowSync(() => model.dispose(), 'ERR_BUSY', BUSY('dispose'));
    await forward;
    trainer.dispose();
    model.dispose();
    expect([trainer.disposed, model.disposed]).toEqual([true, true]);
  });

  test('every model call after dispose is ERR_DISPOSED; dispose twice is fine', async () => {
    const model = tinyModel();
    model.dispose();
    model.dispose();
    expect(model.disposed).toBe(true);
    await expectError(() => model.forward(tinyBatch), 'ERR_DISPOSED', MODEL_DISPOSED);
    expectThrowSync(() => model.parameters(), 'ERR_DISPOSED', MODEL_DISPOSED);
    expectThrowSync(() => model.getParameter('classifier.bias'), 'ERR_DISPOSED', MODEL_DISPOSED);
    expectThrowSync(() => new TrainingSession(model), 'ERR_DISPOSED', MODEL_DISPOSED);
  });

  test('savePretrained after dispose is ERR_DISPOSED and creates nothing', async () => {
    const model = tinyModel();
    model.dispose();
    const dir = path.join(tempDir('disposed'), 'out');
    await expectError(() => model.savePretrained(dir), 'ERR_DISPOSED', MODEL_DISPOSED);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('every trainer call after dispose is ERR_DISPOSED; the model stays usable', async () => {
    const model = tinyModel();
    const trainer = new TrainingSession(model);
    trainer.dispose();
    trainer.dispose();
    expect(trainer.disposed).toBe(true);
    const file = path.join(tempDir('disposed'), 'state.safetensors');
    for (const call of [
      () => trainer.step(tinyBatch, 1e-3),
      () => trainer.evalStep(tinyBatch),
      () => trainer.computeGradients(tinyBatch),
      () => trainer.saveState(file),
      () => trainer.loadState(file),
    ]) {
      await expectError(call, 'ERR_DISPOSED', TRAINER_DISPOSED);
    }
    expectThrowSync(() => trainer.stepCount, 'ERR_DISPOSED', TRAINER_DISPOSED);
    expectThrowSync(() => trainer.lossScale, 'ERR_DISPOSED', TRAINER_DISPOSED);
    expect(fs.existsSync(file)).toBe(false);
    expect((await model.forward(tinyBatch)).logits).toHaveLength(4);
    model.dispose();
  });

  test('a trainer whose model was disposed is ERR_DISPOSED', async () => {
    const model = tinyModel();
    const trainer = new TrainingSession(model);
    await trainer.step(tinyBatch, 1e-3);
    model.dispose();
    await expectError(() => trainer.step(tinyBatch, 1e-3), 'ERR_DISPOSED', 'the trainer\'s model was disposed');
    await expectError(() => trainer.evalStep(tinyBatch), 'ERR_DISPOSED', 'the trainer\'s model was disposed');
    await expectError(() => trainer.saveState(path.join(tempDir('disposed'), 's')), 'ERR_DISPOSED', 'the trainer\'s model was disposed');
    const count = await caught(() => trainer.stepCount);
    expect(count.code).toBe('ERR_DISPOSED');
    trainer.dispose();
  });
});

describe('errors reach the caller', () => {
  test('a synchronous native error is an AlbertTrainerError with the caller\'s stack', () => {
    const model = tinyModel();
    const error = expectThrowSync(() => model.getParameter('albert.nope'), 'ERR_INPUT', 'the model has no parameter named "albert.nope"');
    expectWrapped(error, THIS_FILE);
    model.dispose();
  });

  test('an asynchronous native error (from the worker thread) is an AlbertTrainerError with the caller\'s stack', async () => {
    const model = tinyModel();
    const trainer = new TrainingSession(model);
    const file = path.join(tempDir('missing'), 'nothing.safetensors');
    const error = await expectError(() => trainer.loadState(file), 'ERR_IO', `${file}: cannot open for reading: No such file or directory`);
    expectWrapped(error, THIS_FILE);
    trainer.dispose();
    model.dispose();
  });

  test('ERR_BUSY (thrown by the native call itself) is an AlbertTrainerError with the caller\'s stack', async () => {
    const model = tinyModel();
    const running = model.forward(tinyBatch);
    const error = await expectError(() => model.forward(tinyBatch), 'ERR_BUSY', BUSY('forward'));
    await running;
    expectWrapped(error, THIS_FILE);
    model.dispose();
  });

  test('an argument error thrown in TS is an AlbertTrainerError too', async () => {
    const model = tinyModel();
    const error = await expectError(() => model.forward({ ...tinyBatch, batchSize: -1 }), 'ERR_ARGUMENT', 'Expected positive integer for batchSize but received -1 of type number');
    expectWrapped(error, THIS_FILE);
    model.dispose();
  });
});

describe('the event loop', () => {
  test('runs callbacks while a step is in flight on a worker thread', async () => {
    const model = AlbertForSequenceClassification.fromConfig(MEDIUM, { seed: 6 });
    const trainer = new TrainingSession(model);
    const events: string[] = [];
    let settled = false;
    const step = trainer.step(mediumBatch, 1e-3).then((result) => {
      settled = true;
      events.push('step settled');
      return result;
    });
    // A step that blocked the thread would return a settled promise: its continuation runs
    // before any macrotask. One that runs off the thread lets the loop turn while it works.
    await new Promise<void>((resolve) => setImmediate(() => {
      events.push(settled ? 'callback after the step' : 'callback during the step');
      resolve();
    }));
    expect(Number.isFinite((await step).loss)).toBe(true);
    expect(events).toEqual(['callback during the step', 'step settled']);
    trainer.dispose();
    model.dispose();
  });
});

describe('cudaGraphs on a CPU model', () => {
  test('is off by default, and asking for it is ERR_ARGUMENT in TS and ERR_DEVICE in the core', async () => {
    const model = tinyModel();
    const trainer = new TrainingSession(model);
    expect(trainer.cudaGraphs).toBe(false);
    await trainer.step(randomBatch({ batchSize: 2, seqLen: 8, seed: 3 }), 1e-3);
    expect(trainer.cudaGraphsCaptured).toBe(0);
    trainer.dispose();
    expectThrowSync(() => new TrainingSession(model, { cudaGraphs: true }), 'ERR_ARGUMENT', 'cudaGraphs needs a model on CUDA; this one is on cpu');
    expectThrowSync(() => new TrainingSession(model, { cudaGraphs: 'yes' as never }), 'ERR_ARGUMENT', 'Expected a boolean for cudaGraphs but received "yes" of type string');
    const { Trainer: NativeTrainer } = native();
    const options = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1, amp: 'off', lossScale: { init: 1, growthFactor: 2, backoffFactor: 0.5, growthInterval: 1 } };
    expectThrowSync(() => new NativeTrainer(model.native, { ...options, cudaGraphs: true } as never), 'ERR_DEVICE', /CUDA graphs need/);
    model.dispose();
  });
});
