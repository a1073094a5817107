// The output directory of a run, as DESIGN.md lists it: config.json, model.safetensors, the
// tokenizer files, training_args.json, trainer_state.json (HF-style log_history),
// eval_results.json and README.md, beside the run's checkpoint-<step>/ folders. Built in a
// sibling folder and renamed into place, so a failure leaves nothing half-written.
import { constants as fsConstants, promises as fs } from 'fs';
import * as path from 'path';
import { TOKENIZER_FILES } from '../data/tokenizer';
import { AlbertTrainerError } from '../errors';
import { recoverFoldersIn, writeFolderAtomic } from '../io/atomic-write';
import type { AlbertForSequenceClassification } from '../model/albert';
import { type TrainingArguments, toHfTrainingArguments } from './arguments';
import { CHECKPOINT_FOLDER, RUN_FILES } from './output-files';
import type { TrainResult } from './train-types';
import { epochAt, hfTrainerState } from './trainer-state';

/** A checkpoint's staging folder (an interrupted write: incomplete) and a set-aside copy (ts/io/atomic-write.ts). */
const CHECKPOINT_STAGING = /^\.checkpoint-\d+\.tmp-/;
const CHECKPOINT_SET_ASIDE = /^\.checkpoint-\d+\.old-/;

/**
 * The entry of `outputDir` that holds the TensorBoard folder `logDir` (runs/ for HF's default
 * runs/<date>_<host>), or undefined when `logDir` is not inside `outputDir`.
 */
export function logEntryIn(outputDir: string, logDir: string | undefined): string | undefined {
  if (logDir === undefined) return undefined;
  const relative = path.relative(path.resolve(outputDir), path.resolve(logDir));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep)[0];
}

/**
 * Throws ERR_IO before any training when `dir` exists and is not empty (nothing is overwritten).
 * With `resuming`, a folder that holds only checkpoint-<step>/ folders (and a checkpoint's
 * leftover hidden staging or set-aside folders) is accepted: that is where an interrupted run left them.
 * The TensorBoard folder `logDir` (when inside `dir`: logEntryIn) is accepted either way: this run logs into it.
 */
export async function checkOutputDirectory(dir: string, options: { resuming?: boolean; logDir?: string } = {}): Promise<void> {
  const entries = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new AlbertTrainerError('ERR_IO', `${dir}: cannot use as the output directory (${error.message})`);
  });
  const isCheckpointEntry = (name: string) => CHECKPOINT_FOLDER.test(name) || CHECKPOINT_STAGING.test(name) || CHECKPOINT_SET_ASIDE.test(name);
  const logEntry = logEntryIn(dir, options.logDir);
  const others = entries.filter((name) => name !== logEntry && !(options.resuming && isCheckpointEntry(name)));
  if (others.length > 0) {
    const hint = entries.some(isCheckpointEntry) && !options.resuming ? ' (it holds checkpoints: add --resume-from-checkpoint last to continue that run)' : '';
    throw new AlbertTrainerError('ERR_IO', `${dir}: the output directory exists and is not empty; choose another or remove it${hint}`);
  }
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
  /** training_curves.svg's text (ts/report/training-curves.ts), written with the other files. */
  trainingCurves?: string;
  /** The TensorBoard folder: when inside `dir` (logEntryIn), its entry moves into the new folder as the checkpoints do. */
  logDir?: string;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes the output directory whole (ts/io/atomic-write.ts). The run's checkpoint-<step>/
 * folders and its TensorBoard folder (runs/), already in `out.dir`, move into the new folder
 * before it takes the old one's place;
 * on a failure they move back. (A process killed while moving them leaves the ones already
 * moved in the hidden `.<dir>.tmp-` folder beside it.)
 */
export async function writeOutputDirectory(out: OutputInput): Promise<void> {
  const moved: string[] = [];
  await writeFolderAtomic(out.dir, async (staging) => {
    await out.model.savePretrained(staging);
    for (const file of TOKENIZER_FILES) {
      await fs.copyFile(path.join(out.tokenizerDir, file), path.join(staging, file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT' || file === 'tokenizer.json') throw error;
      });
    }
    await fs.writeFile(path.join(staging, RUN_FILES.trainingArgs), json(toHfTrainingArguments(out.args)));
    await fs.writeFile(path.join(staging, RUN_FILES.trainerState), json(hfTrainerState(out.args, out.result)));
    const final = out.result.final;
    const evalResults = final
      ? { epoch: epochAt(out.result), eval_loss: final.loss, eval_accuracy: final.accuracy, eval_macro_f1: final.macroF1, eval_samples: final.examples, eval_confusion_matrix: final.confusion }
      : {};
    await fs.writeFile(path.join(staging, RUN_FILES.evalResults), json(evalResults));
    await fs.writeFile(path.join(staging, RUN_FILES.modelCard), out.card);
    if (out.trainingCurves !== undefined) await fs.writeFile(path.join(staging, RUN_FILES.trainingCurves), out.trainingCurves);
    // The run's checkpoint-<step>/ folders and its TensorBoard folder move into the new folder (a
    // half-done replacement of a checkpoint finished first); then the old folder must be empty.
    await recoverFoldersIn(out.dir, CHECKPOINT_FOLDER);
    const existing = await fs.readdir(out.dir).catch(() => [] as string[]);
    for (const name of existing.filter((n) => CHECKPOINT_STAGING.test(n))) await fs.rm(path.join(out.dir, name), { recursive: true, force: true });
    const logEntry = logEntryIn(out.dir, out.logDir);
    for (const name of existing.filter((n) => CHECKPOINT_FOLDER.test(n) || n === logEntry)) {
      await fs.rename(path.join(out.dir, name), path.join(staging, name));
      moved.push(name);
    }
    const left = await fs.readdir(out.dir).catch(() => [] as string[]);
    if (left.length > 0) {
      throw new AlbertTrainerError('ERR_IO', `${out.dir}: holds ${left.map((n) => JSON.stringify(n)).join(', ')}, not written by this run; the output directory is not replaced`);
    }
  }, {
    replace: true,
    what: 'the output directory',
    // Checkpoints (and the logs) already moved go back first: a failed write must not lose them.
    onFailure: async (staging) => {
      if (moved.length > 0) await fs.mkdir(out.dir, { recursive: true }).catch(() => undefined);
      let stranded = false;
      for (const name of moved) {
        await fs.rename(path.join(staging, name), path.join(out.dir, name)).catch(() => {
          stranded = true;
        });
      }
      if (stranded) throw new AlbertTrainerError('ERR_IO', `${out.dir}: cannot write the output directory; its checkpoints could not be moved back and are in ${staging}`);
    },
  });
}
