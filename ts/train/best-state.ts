// The best evaluation's state, kept on the side while a run goes on: its weights (what
// loadBestModelAtEnd hands back) and, for the collapse guard's roll-back, its optimizer state.
// A private temporary folder; checkpoints copy it into best/ when the best step is not their own.
import * as fs from 'fs';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import type { AlbertForSequenceClassification } from '../model/albert';
import type { TrainingSession } from '../training-session';
import { CHECKPOINT_FILES } from './checkpoint';

export class BestStateFiles {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-best-'));
  readonly weightsFile = path.join(this.dir, CHECKPOINT_FILES.weights);
  readonly optimizerFile = path.join(this.dir, CHECKPOINT_FILES.optimizer);
  /** Whether the files hold a best evaluation's state yet. */
  hasFiles = false;

  /** `withOptimizer`: keep the optimizer state too (the collapse guard rolls it back). */
  constructor(readonly withOptimizer: boolean) {}

  async save(model: AlbertForSequenceClassification, session: TrainingSession): Promise<void> {
    await model.saveWeights(this.weightsFile);
    if (this.withOptimizer) await session.saveState(this.optimizerFile);
    this.hasFiles = true;
  }

  /** Puts the best weights (and optimizer state, when kept) back into `model` and `session`. */
  async restore(model: AlbertForSequenceClassification, session?: TrainingSession): Promise<void> {
    await model.loadWeights(this.weightsFile);
    if (session && this.withOptimizer) await session.loadState(this.optimizerFile);
  }

  /** Copies the files into `<target>/best/`. */
  async copyInto(target: string): Promise<void> {
    await fsp.mkdir(path.join(target, CHECKPOINT_FILES.bestDir));
    await fsp.copyFile(this.weightsFile, path.join(target, CHECKPOINT_FILES.bestDir, CHECKPOINT_FILES.weights));
    if (this.withOptimizer) await fsp.copyFile(this.optimizerFile, path.join(target, CHECKPOINT_FILES.bestDir, CHECKPOINT_FILES.optimizer));
  }

  /**
   * Takes the best state from a checkpoint being resumed: its best/ folder, or its own files
   * when the best evaluation was that checkpoint's step.
   */
  takeFrom(checkpointDir: string, bestStep: number): void {
    const bestDir = path.join(checkpointDir, CHECKPOINT_FILES.bestDir);
    const from = fs.existsSync(bestDir) ? bestDir : checkpointDir;
    const files: Array<[string, string]> = [[CHECKPOINT_FILES.weights, this.weightsFile], ...(this.withOptimizer ? [[CHECKPOINT_FILES.optimizer, this.optimizerFile] as [string, string]] : [])];
    for (const [name, target] of files) {
      const source = path.join(from, name);
      if (!fs.existsSync(source)) throw new AlbertTrainerError('ERR_CHECKPOINT', `${source}: missing; the checkpoint's best evaluation (step ${bestStep}) has no ${name}`);
      fs.copyFileSync(source, target);
    }
    this.hasFiles = true;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
