// Checkpoints and resume through the API: a run stopped mid-epoch (and one stopped at an
// epoch's end) and resumed from its checkpoint gives the same per-step losses, evaluations
// and final weights as the run that never stopped (fp32, CPU, dropout on: bit for bit).
// Also: the checkpoint folder's layout, save_total_limit, early stopping, and checkpoints
// that do not fit the run (other batch size, other config, missing or broken files).
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import { type TrainingArguments, trainingArguments } from '../../ts/train/arguments';
import { CHECKPOINT_FILES, listCheckpoints, rotateCheckpoints } from '../../ts/train/checkpoint';
import { train } from '../../ts/train/loop';
import type { TrainEvent, TrainInput, TrainResult } from '../../ts/train/train-types';
import { snapshot, tinyConfig } from '../helpers/tiny-model';
import { tokenFiveExamples } from '../helpers/batches';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { expectError } from '../helpers/expect-error';

const VOCAB = 64;


const TRAIN = tokenFiveExamples(52, 1, VOCAB); // 7 batches of 8, the last one short
const EVAL = tokenFiveExamples(24, 2, VOCAB);
// Dropout on, so that a resume that lost the RNG state would draw other masks.
const CONFIG = tinyConfig({ vocab_size: VOCAB, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, classifier_dropout_prob: 0.1 });

function args(overrides: Partial<TrainingArguments> = {}): TrainingArguments {
  return trainingArguments({
    learningRate: 3e-3, perDeviceTrainBatchSize: 8, perDeviceEvalBatchSize: 8, numTrainEpochs: 3, loggingSteps: 2,
    evalStrategy: 'steps', evalSteps: 5, saveStrategy: 'steps', saveSteps: 4, amp: 'off', warmupRatio: 0.2, weightDecay: 0.01,
    groupByLength: true, ...overrides,
  });
}

interface Run {
  result: TrainResult;
  losses: Map<number, number>; // step -> loss
  weights: Map<string, Float32Array>;
  /** The steps of the checkpoint events, in order (recorded by run()). */
  checkpointSteps: number[];
}

async function run(input: Partial<TrainInput> & { args: TrainingArguments }): Promise<Run> {
  const model = AlbertForSequenceClassification.fromConfig(CONFIG, { seed: 7 });
  const losses = new Map<number, number>();
  const checkpointSteps: number[] = [];
  try {
    const result = await train({
      model, train: TRAIN, eval: EVAL, padTokenId: 0, ...input,
      onEvent: (event: TrainEvent) => {
        if (event.type === 'step') losses.set(event.step, event.loss);
        if (event.type === 'checkpoint') checkpointSteps.push(event.step);
      },
    });
    return { result, losses, weights: snapshot(model), checkpointSteps };
  } finally {
    model.dispose();
  }
}

const stopAfter = (step: number) => {
  let steps = 0;
  return { onStep: () => (steps += 1), shouldStop: () => steps >= step };
};

/** Stops after `stopStep` steps, then resumes from the checkpoint that left. */
async function interruptedRun(dir: string, stopStep: number, overrides: Partial<TrainingArguments> = {}): Promise<{ first: Run; second: Run }> {
  const stop = stopAfter(stopStep);
  const model = AlbertForSequenceClassification.fromConfig(CONFIG, { seed: 7 });
  const losses = new Map<number, number>();
  let first: Run;
  try {
    const result = await train({
      model, train: TRAIN, eval: EVAL, padTokenId: 0, args: args(overrides), checkpoints: { dir },
      shouldStop: stop.shouldStop,
      onEvent: (event) => {
        if (event.type === 'step') {
          losses.set(event.step, event.loss);
          stop.onStep();
        }
      },
    });
    first = { result, losses, weights: snapshot(model), checkpointSteps: [] };
  } finally {
    model.dispose();
  }
  const second = await run({ args: args(overrides), checkpoints: { dir }, resumeFromCheckpoint: first.result.lastCheckpoint });
  return { first, second };
}

function expectSameRun(reference: Run, first: Run, second: Run, stopStep: number) {
  expect(first.result.interrupted).toBe(true);
  expect(first.result.globalStep).toBe(stopStep);
  expect(second.result.resumedFromStep).toBe(stopStep);
  const stitched = new Map([...first.losses, ...second.losses]);
  expect([...stitched.keys()]).toEqual([...reference.losses.keys()]);
  for (const [step, loss] of reference.losses) expect(stitched.get(step)).toBe(loss); // exactly
  const evals = (r: Run) => r.result.evaluations.map((e) => [e.step, e.eval_loss, e.eval_accuracy]);
  expect(evals(second)).toEqual(evals(reference));
  const logs = (r: Run) => r.result.logHistory.filter((e) => 'loss' in e);
  expect(logs(second)).toEqual(logs(reference));
  for (const [name, values] of reference.weights) expect(Buffer.from(second.weights.get(name)!.buffer)).toEqual(Buffer.from(values.buffer));
  expect(second.result.final).toEqual(reference.result.final);
}

let reference: Run;
beforeAll(async () => {
  reference = await run({ args: args() });
});
afterAll(removeTempDirs);

describe('resume', () => {
  test('the uninterrupted run saves no checkpoint without a folder, and learns', () => {
    expect(reference.result.lastCheckpoint).toBeUndefined();
    expect(reference.result.globalStep).toBe(21);
    expect(reference.losses.size).toBe(21);
    const lossAt = (step: number) => reference.losses.get(step) as number;
    expect(lossAt(21) + lossAt(20) + lossAt(19)).toBeLessThan(lossAt(1) + lossAt(2) + lossAt(3));
  });

  test('stopped mid-epoch (step 10 of 21) and resumed: the same losses, evaluations and weights, bit for bit', async () => {
    const { first, second } = await interruptedRun(tempDir('resume-mid'), 10);
    expect(path.basename(first.result.lastCheckpoint as string)).toBe('checkpoint-10');
    expectSameRun(reference, first, second, 10);
  });

  test('stopped at an epoch\'s end with epoch checkpoints, and resumed: the same run', async () => {
    const dir = tempDir('resume-epoch');
    const reference2 = await run({ args: args({ saveStrategy: 'epoch', evalStrategy: 'epoch' }) });
    const { first, second } = await interruptedRun(dir, 7, { saveStrategy: 'epoch', evalStrategy: 'epoch' });
    expect(path.basename(first.result.lastCheckpoint as string)).toBe('checkpoint-7');
    expectSameRun(reference2, first, second, 7);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([7, 14, 21]);
  });

  test('a checkpoint is an HF-style folder: weights, config, optimizer, RNG, loop state, trainer_state', async () => {
    const dir = tempDir('layout');
    await run({ args: args({ maxSteps: 8 }), checkpoints: { dir } });
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([4, 8]);
    const files = fs.readdirSync(path.join(dir, 'checkpoint-8')).sort();
    expect(files).toEqual(['best', 'config.json', 'model.safetensors', 'optimizer.safetensors', 'resume_state.json', 'rng_state.json',
      'trainer_state.json', 'training_args.json']);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint-8', 'trainer_state.json'), 'utf8'));
    expect(state.global_step).toBe(8);
    expect(state.best_global_step).toBe(5); // the evaluation at step 5 is the best, and its weights are in best/
    expect(fs.readdirSync(path.join(dir, 'checkpoint-8', 'best')).sort()).toEqual(['model.safetensors', 'optimizer.safetensors']);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]); // no staging left behind
  });

  test('save_total_limit keeps the newest checkpoints, and the best evaluation\'s (as HF keeps best_model_checkpoint)', async () => {
    const dir = tempDir('limit');
    const { result, checkpointSteps } = await run({ args: args({ maxSteps: 12, saveSteps: 2, evalSteps: 2, saveTotalLimit: 2 }), checkpoints: { dir } });
    const best = result.best?.step as number;
    // Two kept: the newest, and the best one in place of the next newest when it is older (HF moves it there).
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual(best >= 10 ? [10, 12] : [best, 12]);
    // Six checkpoints written (one event each), and their writing timed (no bound on how long it took).
    expect(checkpointSteps).toEqual([2, 4, 6, 8, 10, 12]);
    expect(result.checkpointSeconds).toBeGreaterThan(0);
  });

  test('rotation never deletes the checkpoint just written or the best one, even when newer folders exist', async () => {
    const dir = tempDir('rotate');
    for (const step of [2, 4, 6, 7]) fs.mkdirSync(path.join(dir, `checkpoint-${step}`));
    expect((await rotateCheckpoints(dir, 1, [5, 2])).map((d) => path.basename(d))).toEqual(['checkpoint-4', 'checkpoint-6', 'checkpoint-7']);
    fs.mkdirSync(path.join(dir, 'checkpoint-5'));
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([2, 5]);
    expect(await rotateCheckpoints(dir, 0, [])).toEqual([]);
  });

  test('with save_strategy steps, the last step is saved too (HF\'s DefaultFlowCallback)', async () => {
    const dir = tempDir('last-step');
    await run({ args: args({ maxSteps: 10, saveSteps: 4 }), checkpoints: { dir } });
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([4, 8, 10]);
  });
});

describe('early stopping', () => {
  test('patience 2 at learning rate 0: stops after the third evaluation without improvement', async () => {
    const stopped = await run({ args: args({ learningRate: 0, earlyStoppingPatience: 2, evalSteps: 2 }) });
    expect(stopped.result.earlyStopped).toBe(true);
    expect(stopped.result.evaluations.map((e) => e.step)).toEqual([2, 4, 6]);
    expect(stopped.result.globalStep).toBe(6);
  });

  test('a run that keeps improving is not stopped', async () => {
    const full = await run({ args: args({ earlyStoppingPatience: 5 }) });
    expect(full.result.earlyStopped).toBe(false);
    expect(full.result.globalStep).toBe(21);
  });

  test('patience without evaluations is an error', async () => {
    await expectError(() => run({ args: args({ earlyStoppingPatience: 2, evalStrategy: 'no' }) }), 'ERR_ARGUMENT', /earlyStoppingPatience needs evaluations/);
  });
});

describe('checkpoints that do not fit', () => {
  let checkpoint: string;
  beforeAll(async () => {
    const dir = tempDir('misfit');
    const stop = stopAfter(4);
    const { result } = await run({ args: args(), checkpoints: { dir }, shouldStop: () => stop.onStep() >= 4 });
    checkpoint = result.lastCheckpoint as string;
    expect(path.basename(checkpoint)).toBe('checkpoint-4');
  });

  const copy = () => {
    const dir = path.join(tempDir('misfit-copy'), 'checkpoint-4');
    fs.cpSync(checkpoint, dir, { recursive: true });
    return dir;
  };

  test('another batch size: names the field and both values', async () => {
    await expectError(() => run({ args: args({ perDeviceTrainBatchSize: 4 }), resumeFromCheckpoint: checkpoint }), 'ERR_CHECKPOINT',
      /resume_state\.json: the checkpoint was written by a run with per_device_train_batch_size 8, this run has 4/);
  });

  test('another seed or data order', async () => {
    await expectError(() => run({ args: args({ seed: 1 }), resumeFromCheckpoint: checkpoint }), 'ERR_CHECKPOINT', /seed 42, this run has 1/);
    await expectError(() => run({ args: args({ groupByLength: false }), resumeFromCheckpoint: checkpoint }), 'ERR_CHECKPOINT', /group_by_length true, this run has false/);
  });

  test('another collapse-guard or load-best setting (they decide which best files exist)', async () => {
    await expectError(() => run({ args: args({ collapseGuard: false }), resumeFromCheckpoint: checkpoint }), 'ERR_CHECKPOINT', /collapse_guard true, this run has false/);
    await expectError(() => run({ args: args({ loadBestModelAtEnd: false }), resumeFromCheckpoint: checkpoint }), 'ERR_CHECKPOINT', /load_best_model_at_end true, this run has false/);
  });

  test('RNG states for more CUDA devices than this machine has: a warning, and the run resumes', async () => {
    const moved = copy();
    const rng = JSON.parse(fs.readFileSync(path.join(moved, CHECKPOINT_FILES.rng), 'utf8'));
    rng.cuda = [Buffer.alloc(16).toString('base64')];
    fs.writeFileSync(path.join(moved, CHECKPOINT_FILES.rng), JSON.stringify(rng));
    const warnings: string[] = [];
    const model = AlbertForSequenceClassification.fromConfig(CONFIG, { seed: 7 });
    try {
      const result = await train({ model, train: TRAIN, eval: EVAL, padTokenId: 0, args: args(), resumeFromCheckpoint: moved,
        onEvent: (event) => {
          if (event.type === 'warning') warnings.push(event.message);
        } });
      expect(result.globalStep).toBe(21);
      expect(warnings).toEqual([expect.stringMatching(/rng_state\.json: holds 1 CUDA generator states, this machine uses 0; /)]);
    } finally {
      model.dispose();
    }
  });

  test('a checkpoint of another config', async () => {
    const model = AlbertForSequenceClassification.fromConfig({ ...CONFIG, hidden_size: 32 }, { seed: 7 });
    try {
      await expectError(() => train({ model, train: TRAIN, eval: EVAL, padTokenId: 0, args: args(), resumeFromCheckpoint: checkpoint }),
        'ERR_CHECKPOINT', /optimizer\.safetensors: .* has shape \[16, 8\] but the model's parameter has \[32, 8\]; is .*checkpoint-4 a checkpoint of another model config\?$/);
    } finally {
      model.dispose();
    }
  });

  test('a missing file, broken JSON, a wrong RNG state: each names the file', async () => {
    const missing = copy();
    fs.rmSync(path.join(missing, CHECKPOINT_FILES.optimizer));
    await expectError(() => run({ args: args(), resumeFromCheckpoint: missing }), 'ERR_CHECKPOINT', /optimizer\.safetensors: missing/);
    const broken = copy();
    fs.writeFileSync(path.join(broken, CHECKPOINT_FILES.resume), '{"format": 1, ');
    await expectError(() => run({ args: args(), resumeFromCheckpoint: broken }), 'ERR_CHECKPOINT', /resume_state\.json: not valid JSON/);
    const rngBad = copy();
    fs.writeFileSync(path.join(rngBad, CHECKPOINT_FILES.rng), JSON.stringify({ cpu: Buffer.from('short').toString('base64'), cuda: [] }));
    await expectError(() => run({ args: args(), resumeFromCheckpoint: rngBad }), 'ERR_CHECKPOINT', /rng_state\.json: the CPU RNG state has 5 bytes/);
  });
});

describe('the model handed back', () => {
  test('load_best_model_at_end: the best evaluation\'s weights even when training went on after it', async () => {
    const { result } = await run({ args: args({ maxSteps: 8, evalSteps: 5 }) }); // one evaluation, at step 5
    expect(result.evaluations.map((e) => e.step)).toEqual([5]);
    expect(result.final?.loss).toBe(result.evaluations[0].eval_loss);
    expect(result.final?.accuracy).toBe(result.evaluations[0].eval_accuracy);
    const last = await run({ args: args({ maxSteps: 8, evalSteps: 5, loadBestModelAtEnd: false }) });
    expect(last.result.final?.loss).not.toBe(result.evaluations[0].eval_loss); // step 8's weights score otherwise
  });
});
