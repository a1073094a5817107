// checkpoint-<step>/ folders: everything a run needs to continue exactly where it stopped.
//
//   config.json, model.safetensors   the weights, loadable by HF's from_pretrained
//   optimizer.safetensors            AdamW moments and step counts, the fp16 loss scaler
//   rng_state.json                   dropout's generators (CPU, each CUDA device), base64; a
//                                    data-parallel run adds rng_state_<rank>.json for ranks >= 1
//   resume_state.json                the loop's position: epoch and batch in it, schedule step and
//                                    LR multipliers, loss sums, guard and early-stopping state,
//                                    the best evaluation, the log so far
//   trainer_state.json               HF's TrainerState (ts/train/trainer-state.ts)
//   training_args.json               the run's arguments, HF names
//   best/                            the best evaluation's weights (and optimizer state, for the
//                                    collapse guard) when that is not this step's own
//   tokenizer files                  when the run has a tokenizer folder, as HF's Trainer saves them
//
// A folder is built as a hidden sibling and renamed into place (ts/io/atomic-write.ts), so a
// crash mid-write leaves no checkpoint-<step>/ that lies, and replacing one never loses it.
// save_total_limit keeps the newest ones; each is self-contained.
import { promises as fs } from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import { recoverFolder, recoverFoldersIn, writeFolderAtomic } from '../io/atomic-write';
import { TOKENIZER_FILES } from '../data/tokenizer';
import { CONFIG_FILE, WEIGHTS_FILE } from '../model/albert';
import { CHECKPOINT_FOLDER, CHECKPOINT_PREFIX, RUN_FILES } from './output-files';

export const RESUME_STATE_FORMAT = 1;

export const CHECKPOINT_FILES = {
  weights: WEIGHTS_FILE,
  config: CONFIG_FILE,
  optimizer: 'optimizer.safetensors',
  rng: 'rng_state.json',
  resume: 'resume_state.json',
  trainerState: RUN_FILES.trainerState,
  trainingArgs: RUN_FILES.trainingArgs,
  bestDir: 'best',
} as const;

/** The RNG state file of `rank` (rank 0's is the single-process name, so either reads it). */
export function rngStateFile(rank: number): string {
  return rank === 0 ? CHECKPOINT_FILES.rng : `rng_state_${rank}.json`;
}

/** What the loop hands over to be written; it writes the native parts itself into `dir`. */
export interface CheckpointWriter {
  /** Writes config.json + model.safetensors, optimizer.safetensors and best/ into `dir`. */
  writeNative(dir: string): Promise<void>;
  /** Each rank's RNG state, rank 0 first (one entry when not data-parallel). */
  rngStates: unknown[];
  resumeState: unknown;
  trainerState: unknown;
  trainingArgs: unknown;
  tokenizerDir?: string;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function checkpointPath(outputDir: string, step: number): string {
  return path.join(outputDir, `${CHECKPOINT_PREFIX}${step}`);
}

/**
 * Writes checkpoint-<step>/ under `outputDir` atomically; an existing one for that step is
 * replaced safely (ts/io/atomic-write.ts: a crash mid-replacement leaves the old one or the new).
 */
export async function writeCheckpoint(outputDir: string, step: number, writer: CheckpointWriter): Promise<string> {
  const target = checkpointPath(outputDir, step);
  await writeFolderAtomic(target, async (staging) => {
    await writer.writeNative(staging);
    for (const [rank, rngState] of writer.rngStates.entries()) await fs.writeFile(path.join(staging, rngStateFile(rank)), json(rngState));
    await fs.writeFile(path.join(staging, CHECKPOINT_FILES.resume), json(writer.resumeState));
    await fs.writeFile(path.join(staging, CHECKPOINT_FILES.trainerState), json(writer.trainerState));
    await fs.writeFile(path.join(staging, CHECKPOINT_FILES.trainingArgs), json(writer.trainingArgs));
    if (writer.tokenizerDir) {
      for (const file of TOKENIZER_FILES) {
        await fs.copyFile(path.join(writer.tokenizerDir, file), path.join(staging, file)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      }
    }
  }, { replace: true, what: 'the checkpoint' });
  return target;
}

/**
 * The checkpoint-<step>/ folders in `outputDir`, oldest first; a replacement that a stopped run
 * left half-done is first finished or undone (recoverFoldersIn).
 */
export async function listCheckpoints(outputDir: string): Promise<Array<{ step: number; dir: string }>> {
  await recoverFoldersIn(outputDir, CHECKPOINT_FOLDER);
  const entries = await fs.readdir(outputDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && CHECKPOINT_FOLDER.test(entry.name))
    .map((entry) => ({ step: Number(CHECKPOINT_FOLDER.exec(entry.name)?.[1]), dir: path.join(outputDir, entry.name) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * HF's save_total_limit: deletes the oldest checkpoints until `limit` are left (0: keep all),
 * never one of `keepSteps` (the one just written, the best evaluation's, as HF keeps
 * best_model_checkpoint), so a limit of 1 can leave 2. Returns the folders deleted.
 */
export async function rotateCheckpoints(outputDir: string, limit: number, keepSteps: readonly number[] = []): Promise<string[]> {
  if (limit <= 0) return [];
  const all = await listCheckpoints(outputDir);
  const deletable = all.filter((c) => !keepSteps.includes(c.step));
  const doomed = deletable.slice(0, Math.max(0, Math.min(deletable.length, all.length - limit))).map((c) => c.dir);
  for (const dir of doomed) {
    await fs.rm(dir, { recursive: true, force: true }).catch((error: Error) => {
      throw new AlbertTrainerError('ERR_IO', `${dir}: cannot delete this checkpoint for --save-total-limit ${limit} (${error.message})`);
    });
  }
  return doomed;
}

/**
 * `--resume-from-checkpoint`: a checkpoint folder, or `last` / `true` for the newest one in the
 * output directory (HF's resume_from_checkpoint=True).
 */
export async function findCheckpoint(spec: string, outputDir: string): Promise<string> {
  if (spec === 'last' || spec === 'true') {
    const all = await listCheckpoints(outputDir);
    if (all.length === 0) throw new AlbertTrainerError('ERR_ARGUMENT', `--resume-from-checkpoint ${spec}: no checkpoint-<step> folder in ${outputDir}`);
    return all[all.length - 1].dir;
  }
  await recoverFolder(spec);
  const stat = await fs.stat(spec).catch(() => undefined);
  if (!stat?.isDirectory()) throw new AlbertTrainerError('ERR_ARGUMENT', `--resume-from-checkpoint ${spec}: not a folder`);
  return spec;
}

export interface LoadedCheckpoint {
  dir: string;
  weightsFile: string;
  optimizerFile: string;
  rngState: unknown;
  resumeState: Record<string, unknown>;
}

/**
 * Reads and checks a checkpoint folder's files, with `rank`'s RNG state; each missing or
 * malformed one is an ERR_CHECKPOINT naming it.
 */
export async function readCheckpoint(dir: string, rank = 0): Promise<LoadedCheckpoint> {
  const file = (name: string) => path.join(dir, name);
  for (const name of [CHECKPOINT_FILES.weights, CHECKPOINT_FILES.optimizer, rngStateFile(rank), CHECKPOINT_FILES.resume]) {
    const stat = await fs.stat(file(name)).catch(() => undefined);
    if (!stat?.isFile()) {
      const hint = rank > 0 && name === rngStateFile(rank) ? `; was ${dir} written by a run of fewer than ${rank + 1} processes? resume with the same number` : '';
      throw new AlbertTrainerError('ERR_CHECKPOINT', `${file(name)}: missing; ${dir} is not a complete albert-trainer checkpoint${hint}`);
    }
  }
  const readJson = async (name: string) => {
    const text = await fs.readFile(file(name), 'utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new AlbertTrainerError('ERR_CHECKPOINT', `${file(name)}: not valid JSON (${(error as Error).message})`);
    }
  };
  const resumeState = await readJson(CHECKPOINT_FILES.resume);
  if (typeof resumeState !== 'object' || resumeState === null || (resumeState as { format?: unknown }).format !== RESUME_STATE_FORMAT) {
    throw new AlbertTrainerError('ERR_CHECKPOINT', `${file(CHECKPOINT_FILES.resume)}: expected an object with "format": ${RESUME_STATE_FORMAT}`);
  }
  return {
    dir,
    weightsFile: file(CHECKPOINT_FILES.weights),
    optimizerFile: file(CHECKPOINT_FILES.optimizer),
    rngState: await readJson(rngStateFile(rank)),
    resumeState: resumeState as Record<string, unknown>,
  };
}
