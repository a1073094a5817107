// The output directory of a run, as DESIGN.md lists it: config.json, model.safetensors, the
// tokenizer files, training_args.json, trainer_state.json (HF-style log_history),
// eval_results.json and README.md. Built in a sibling folder and renamed into place, so a
// failure leaves nothing half-written.
import { constants as fsConstants, promises as fs } from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import type { AlbertForSequenceClassification } from '../model/albert';
import { type TrainingArguments, toHfTrainingArguments } from './arguments';
import type { TrainResult } from './loop';

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'spiece.model', 'special_tokens_map.json'];

/** Throws ERR_IO before any training when `dir` exists and is not empty (nothing is overwritten). */
export async function checkOutputDirectory(dir: string): Promise<void> {
  const entries = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new AlbertTrainerError('ERR_IO', `${dir}: cannot use as the output directory (${error.message})`);
  });
  if (entries.length > 0) throw new AlbertTrainerError('ERR_IO', `${dir}: the output directory exists and is not empty; choose another or remove it`);
  const parent = path.dirname(path.resolve(dir));
  await fs.mkdir(parent, { recursive: true }).catch((error: Error) => {
    throw new AlbertTrainerError('ERR_IO', `${dir}: cannot create its parent folder (${error.message})`);
  });
  await fs.access(parent, fsConstants.W_OK).catch(() => {
    throw new AlbertTrainerError('ERR_IO', `${dir}: its parent folder ${parent} is not writable`);
  });
}

export interface OutputInput {
  dir: string;
  model: AlbertForSequenceClassification;
  tokenizerDir: string;
  args: TrainingArguments;
  result: TrainResult;
  card: string;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function trainerState(args: TrainingArguments, result: TrainResult): Record<string, unknown> {
  return {
    best_metric: result.best ? { accuracy: result.best.eval_accuracy, macro_f1: result.best.eval_macro_f1, loss: result.best.eval_loss }[args.metricForBestModel] : null,
    best_global_step: result.best?.step ?? null,
    epoch: result.globalStep / Math.max(1, result.totalSteps / result.epochs),
    global_step: result.globalStep,
    max_steps: result.totalSteps,
    num_train_epochs: result.epochs,
    logging_steps: args.loggingSteps,
    eval_steps: args.evalSteps,
    train_batch_size: args.perDeviceTrainBatchSize,
    log_history: result.logHistory,
    train_runtime: result.trainSeconds,
    train_samples_per_second: result.samplesPerSecond,
  };
}

export async function writeOutputDirectory(out: OutputInput): Promise<void> {
  const parent = path.dirname(path.resolve(out.dir));
  const staging = await fs.mkdtemp(path.join(parent, `.${path.basename(out.dir)}.tmp-`));
  try {
    await out.model.savePretrained(staging);
    for (const file of TOKENIZER_FILES) {
      await fs.copyFile(path.join(out.tokenizerDir, file), path.join(staging, file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT' || file === 'tokenizer.json') throw error;
      });
    }
    await fs.writeFile(path.join(staging, 'training_args.json'), json(toHfTrainingArguments(out.args)));
    await fs.writeFile(path.join(staging, 'trainer_state.json'), json(trainerState(out.args, out.result)));
    const final = out.result.final;
    const evalResults = final
      ? { epoch: out.result.globalStep / (out.result.totalSteps / out.result.epochs), eval_loss: final.loss, eval_accuracy: final.accuracy, eval_macro_f1: final.macroF1, eval_samples: final.examples, eval_confusion_matrix: final.confusion }
      : {};
    await fs.writeFile(path.join(staging, 'eval_results.json'), json(evalResults));
    await fs.writeFile(path.join(staging, 'README.md'), out.card);
    await fs.rm(out.dir, { recursive: false, force: true }).catch(() => undefined); // an empty folder made meanwhile
    await fs.rename(staging, out.dir);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    if (error instanceof AlbertTrainerError) throw error;
    throw new AlbertTrainerError('ERR_IO', `${out.dir}: cannot write the output directory (${(error as Error).message})`);
  }
}
