// trainer_state.json's best_model_checkpoint, as HF's Trainer sets it in _save_checkpoint: the
// checkpoint folder of the best evaluation, once that folder exists; read back by HF's own
// TrainerState.load_from_json. Also the event stream's 'checkpoint' and 'end' events, and a
// resumed run's count of the steps it ran (not the global step).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import { type TrainingArguments, trainingArguments } from '../../ts/train/arguments';
import { train } from '../../ts/train/loop';
import type { TrainEvent, TrainInput, TrainResult } from '../../ts/train/train-types';
import { tokenFiveExamples } from '../helpers/batches';
import { referencePython } from '../helpers/python';
import { removeTempDirs, tempDir } from '../helpers/temp-dirs';
import { tinyConfig } from '../helpers/tiny-model';

const VOCAB = 64;
const TRAIN = tokenFiveExamples(52, 1, VOCAB); // 7 batches of 8
const EVAL = tokenFiveExamples(24, 2, VOCAB);
const CONFIG = tinyConfig({ vocab_size: VOCAB });
const ARGS: TrainingArguments = trainingArguments({
  learningRate: 3e-3, perDeviceTrainBatchSize: 8, perDeviceEvalBatchSize: 8, numTrainEpochs: 3, loggingSteps: 2,
  evalStrategy: 'steps', evalSteps: 4, saveStrategy: 'steps', saveSteps: 4, amp: 'off', metricForBestModel: 'loss', collapseGuard: false,
});

afterAll(removeTempDirs);

/** `stopAfterStep`: asks to stop once that step's event came (the run stops after it). */
async function run(input: Partial<TrainInput>, stopAfterStep = Infinity): Promise<{ result: TrainResult; events: TrainEvent[] }> {
  const model = AlbertForSequenceClassification.fromConfig(CONFIG, { seed: 7 });
  const events: TrainEvent[] = [];
  let lastStep = 0;
  try {
    const result = await train({
      model, train: TRAIN, eval: EVAL, padTokenId: 0, args: ARGS, ...input, shouldStop: () => lastStep >= stopAfterStep,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'step') lastStep = event.step;
      },
    });
    return { result, events };
  } finally {
    model.dispose();
  }
}

interface HfState { best_model_checkpoint: string | null; best_global_step: number | null; global_step: number }

/** HF's TrainerState as transformers reads each trainer_state.json (one Python process for all). */
function hfStates(files: string[]): HfState[] {
  const code = 'import json, sys\nfrom transformers import TrainerState\nstates = [TrainerState.load_from_json(f) for f in sys.argv[1:]]\n' +
    'print(json.dumps([{"best_model_checkpoint": s.best_model_checkpoint, "best_global_step": s.best_global_step, "global_step": s.global_step} for s in states]))';
  return JSON.parse(execFileSync(referencePython(), ['-c', code, ...files], { encoding: 'utf8' }));
}

test('every checkpoint names the best evaluation\'s checkpoint as of its step, as HF reads it', async () => {
  const dir = tempDir('best-checkpoint');
  const { result, events } = await run({ checkpoints: { dir } });
  const saved = events.filter((e): e is Extract<TrainEvent, { type: 'checkpoint' }> => e.type === 'checkpoint');
  expect(saved.map((e) => e.step)).toEqual([4, 8, 12, 16, 20, 21]); // every 4 steps and the last (21)
  // Evaluations at the same steps: the best as of each checkpoint is the lowest eval loss so far.
  const states = hfStates(saved.map((checkpoint) => path.join(checkpoint.dir, 'trainer_state.json')));
  for (const [i, checkpoint] of saved.entries()) {
    const sofar = result.evaluations.filter((e) => e.step <= checkpoint.step);
    const best = sofar.reduce((a, b) => (b.eval_loss < a.eval_loss ? b : a));
    const state = states[i];
    expect(state.global_step).toBe(checkpoint.step);
    expect(state.best_global_step).toBe(best.step);
    expect(state.best_model_checkpoint).toBe(path.join(dir, `checkpoint-${best.step}`));
    expect(checkpoint.isBest).toBe(best.step === checkpoint.step);
  }
  const best = result.best as NonNullable<TrainResult['best']>;
  expect(result.bestModelCheckpoint).toBe(path.join(dir, `checkpoint-${best.step}`));
  expect(fs.existsSync(result.bestModelCheckpoint as string)).toBe(true);
  expect(events[events.length - 1]).toEqual({ type: 'end', step: 21, totalSteps: 21, stepsRun: 21, interrupted: false, earlyStopped: false, bestModelCheckpoint: result.bestModelCheckpoint });
  // TrainResult's one naming style: best under final's names.
  expect(best).toEqual({ step: best.step, epoch: best.step / 7, loss: expect.any(Number), accuracy: expect.any(Number), macroF1: expect.any(Number), examples: 24 });
});

test('without checkpoints there is no best checkpoint; a resumed run reports the steps it ran', async () => {
  expect((await run({})).result.bestModelCheckpoint).toBeNull();
  const dir = tempDir('best-checkpoint-resume');
  const first = await run({ checkpoints: { dir } }, 10);
  expect(first.result.interrupted).toBe(true);
  expect(first.events[first.events.length - 1]).toMatchObject({ type: 'end', step: 10, stepsRun: 10, interrupted: true });
  const second = await run({ checkpoints: { dir }, resumeFromCheckpoint: first.result.lastCheckpoint });
  expect(second.result.resumedFromStep).toBe(10);
  expect(second.events[second.events.length - 1]).toMatchObject({ type: 'end', step: 21, stepsRun: 11, interrupted: false });
  expect(second.events.filter((e) => e.type === 'step')).toHaveLength(11);
  // The best checkpoint recorded before the interruption carries over (kept in resume_state.json).
  expect(second.result.bestModelCheckpoint).toBe(path.join(dir, `checkpoint-${second.result.best?.step}`));
});
