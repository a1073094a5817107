// Resume planning without the addon: the run plan's step counts, and readResumePoint reading a
// checkpoint folder written by hand (the native files are only checked to be there), checking the
// run's identity field by field, the loop state and the RNG state, before any model exists.
// ALBERT_TRAINER_ADDON points nowhere: a path that reached the addon would fail with ERR_ADDON_LOAD.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { trainingArguments } from '../../ts/train/arguments';
import { freshState, resumeStateToJson } from '../../ts/train/resume-state';
import { patienceRanOut, readResumePoint } from '../../ts/train/resume';
import { planRun } from '../../ts/train/run-plan';

process.env.ALBERT_TRAINER_ADDON = path.join(os.tmpdir(), 'resume-planning-needs-no-addon', 'albert_native.node');

const examples = (n: number) => Array.from({ length: n }, (_, i) => ({ inputIds: [2, 10 + (i % 7), 3], tokenTypeIds: [0, 0, 0], label: i % 2 }));
const args = trainingArguments({ perDeviceTrainBatchSize: 16, numTrainEpochs: 3, seed: 7, earlyStoppingPatience: 2 });
let work: string;

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-resume-plan-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** A checkpoint folder as checkpointing.ts writes it, for a run of `plan`, at global step 7 (epoch 1, batch 3). */
function writeCheckpoint(plan: ReturnType<typeof planRun>, edit: (resume: Record<string, any>) => void = () => undefined, ranks = 1): string {
  const dir = fs.mkdtempSync(path.join(work, 'checkpoint-7-'));
  fs.rmdirSync(dir);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), 'not read here');
  fs.writeFileSync(path.join(dir, 'optimizer.safetensors'), 'not read here');
  for (let rank = 0; rank < ranks; rank++) {
    fs.writeFileSync(path.join(dir, rank === 0 ? 'rng_state.json' : `rng_state_${rank}.json`), JSON.stringify({ cpu: Buffer.from([rank, 1, 2]).toString('base64'), cuda: [] }));
  }
  const state = { ...freshState(), globalStep: 7, scheduleStep: 7, epoch: 1, batchInEpoch: 3, samples: 112, trainLossSum: 4.5, evaluationsWithoutImprovement: 1 };
  const resume = resumeStateToJson({ format: 1, run: plan.identity, hasBestFiles: false, state }) as Record<string, any>;
  edit(resume);
  fs.writeFileSync(path.join(dir, 'resume_state.json'), JSON.stringify(resume));
  return dir;
}

test('the plan counts steps as HF does: ceil(ceil(examples / ranks) / batch) per epoch', () => {
  const alone = planRun({ train: examples(70), eval: examples(9), args });
  expect([alone.stepsPerEpoch, alone.totalSteps, alone.epochs]).toEqual([5, 15, 3]); // ceil(70 / 16) = 5
  const twoRanks = planRun({ train: examples(70), eval: examples(9), args, processGroup: { worldSize: 2, rank: 1 } });
  expect([twoRanks.stepsPerEpoch, twoRanks.totalSteps, twoRanks.shards]).toEqual([3, 9, { numReplicas: 2, rank: 1 }]); // ceil(35 / 16) = 3
  const capped = planRun({ train: examples(70), eval: examples(9), args: { ...args, maxSteps: 11 } });
  expect([capped.totalSteps, capped.epochs]).toEqual([11, 3]);
  expect(() => planRun({ train: [], args })).toThrow('the training set is empty');
  expect(() => planRun({ train: examples(70), args })).toThrow('eval strategy "epoch" needs an evaluation set');
});

test('a checkpoint of this run is read with its loop state and RNG state, and no addon', async () => {
  const plan = planRun({ train: examples(70), eval: examples(9), args });
  const dir = writeCheckpoint(plan);
  const point = await readResumePoint(dir, plan);
  expect(point.resumed.state).toMatchObject({ globalStep: 7, epoch: 1, batchInEpoch: 3, samples: 112, trainLossSum: 4.5, bestModelCheckpoint: null });
  expect([...point.rngState.cpu]).toEqual([0, 1, 2]);
  expect(point.rngFile).toBe(path.join(dir, 'rng_state.json'));
  expect(patienceRanOut(point, args)).toBe(false); // 1 evaluation without improvement of 2
  expect(patienceRanOut(point, { earlyStoppingPatience: 1 })).toBe(true);
  expect(patienceRanOut(undefined, args)).toBe(false);
});

test('rank 1 reads its own RNG state; a checkpoint of fewer ranks says to resume with the same number', async () => {
  const plan = planRun({ train: examples(70), eval: examples(9), args, processGroup: { worldSize: 2, rank: 1 } });
  const point = await readResumePoint(writeCheckpoint(plan, undefined, 2), plan);
  expect([...point.rngState.cpu]).toEqual([1, 1, 2]);
  const single = planRun({ train: examples(70), eval: examples(9), args });
  const dir = writeCheckpoint(single);
  await expect(readResumePoint(dir, plan)).rejects.toThrow(`${path.join(dir, 'rng_state_1.json')}: missing; ${dir} is not a complete albert-trainer checkpoint; was ${dir} written by a run of fewer than 2 processes? resume with the same number`);
});

test.each([
  ['seed', { seed: 8 }, 'the checkpoint was written by a run with seed 7, this run has 8; resume with the same data and arguments'],
  ['batch size', { perDeviceTrainBatchSize: 8 }, 'the checkpoint was written by a run with per_device_train_batch_size 16, this run has 8; resume with the same data and arguments'],
  ['shuffle', { shuffle: false }, 'the checkpoint was written by a run with shuffle true, this run has false; resume with the same data and arguments'],
])('another %s is ERR_CHECKPOINT naming the field', async (_what, change, message) => {
  const written = planRun({ train: examples(70), eval: examples(9), args });
  const dir = writeCheckpoint(written);
  const now = planRun({ train: examples(70), eval: examples(9), args: { ...args, ...change } });
  await expect(readResumePoint(dir, now)).rejects.toMatchObject({ code: 'ERR_CHECKPOINT', message: `${path.join(dir, 'resume_state.json')}: ${message}` });
});

test('another number of processes is named before the step count it changes', async () => {
  const written = planRun({ train: examples(70), eval: examples(9), args });
  const dir = writeCheckpoint(written, (resume) => { resume.run.world_size = 2; });
  await expect(readResumePoint(dir, written)).rejects.toThrow('the checkpoint was written by a run of 2 process(es), this run has 1; resume with the same --nnodes x --nproc-per-node');
});

test.each([
  ['a step past the run', (r: Record<string, any>) => { r.state.globalStep = 99; }, "state.globalStep 99 is past the run's 15 steps"],
  ['a negative epoch', (r: Record<string, any>) => { r.state.epoch = -1; }, 'state.epoch must be a non-negative integer'],
  ['a bad LR multiplier', (r: Record<string, any>) => { r.state.lrMultipliers = [{ fromStep: 3, factor: 0 }]; }, 'state.lrMultipliers[0] must be { fromStep: integer >= 0, factor: number > 0 }'],
  ['a bad best checkpoint', (r: Record<string, any>) => { r.state.bestModelCheckpoint = 5; }, 'state.bestModelCheckpoint must be null or a folder path'],
])('%s is ERR_CHECKPOINT naming resume_state.json', async (_what, edit, message) => {
  const plan = planRun({ train: examples(70), eval: examples(9), args });
  const dir = writeCheckpoint(plan, edit);
  await expect(readResumePoint(dir, plan)).rejects.toMatchObject({ code: 'ERR_CHECKPOINT', message: `${path.join(dir, 'resume_state.json')}: ${message}` });
});

test('a checkpoint written before bestModelCheckpoint was kept reads it as null; a NaN train loss comes back as NaN', async () => {
  const plan = planRun({ train: examples(70), eval: examples(9), args });
  const dir = writeCheckpoint(plan, (resume) => {
    delete resume.state.bestModelCheckpoint;
    resume.state.trainLossSum = null;
  });
  const point = await readResumePoint(dir, plan);
  expect(point.resumed.state.bestModelCheckpoint).toBeNull();
  expect(point.resumed.state.trainLossSum).toBeNaN();
});
