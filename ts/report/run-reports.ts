// The reporters of one `train` run on its event stream, as the command wires them: TensorBoard
// event files (--report-to), plain progress lines where stderr is not a terminal, and
// training_curves.svg in the output folder once it is written. Rank 0 only.
import * as fs from 'fs';
import * as path from 'path';
import type { TrainEvent, TrainResult } from '../train/train-types';
import { ProgressLines } from './progress-lines';
import { TensorBoardReporter } from './tensorboard';
import { trainingCurvesSvg } from './training-curves';

export interface RunReportsOptions {
  /** The TensorBoard folder (resolveLoggingDir), or undefined without --report-to tensorboard. */
  logDir: string | undefined;
  argsJson: string;
  configJson: string;
  /** The checkpoint a resumed run starts from (checkpoint-<step>). */
  resumeFrom: string | undefined;
  /** Plain progress lines on stderr (it is not a terminal and the log format is pretty). */
  progressLines: boolean;
}

export class RunReports {
  private readonly tensorboard: TensorBoardReporter | undefined;
  private readonly progress: ProgressLines | undefined;

  constructor(options: RunReportsOptions) {
    const resumedFromStep = options.resumeFrom ? Number(/checkpoint-(\d+)$/.exec(path.resolve(options.resumeFrom))?.[1] ?? 0) : undefined;
    this.tensorboard = options.logDir ? new TensorBoardReporter({ logDir: options.logDir, argsJson: options.argsJson, configJson: options.configJson,
      ...(resumedFromStep !== undefined ? { resumedFromStep } : {}) }) : undefined;
    this.progress = options.progressLines ? new ProgressLines({ write: (line) => process.stderr.write(line) }) : undefined;
  }

  onEvent(event: TrainEvent): void {
    this.tensorboard?.onEvent(event);
    this.progress?.onEvent(event);
  }

  /** After train() returned: the summary entry of a finished run, then the files are closed. */
  finish(result: TrainResult): void {
    if (!result.interrupted) this.tensorboard?.onFinish(result.logHistory);
    this.close();
  }

  close(): void {
    this.tensorboard?.close();
  }
}

/** training_curves.svg into the written output folder: a temporary file renamed into place. */
export function writeTrainingCurves(outputDir: string, result: TrainResult, title: string): void {
  const file = path.join(outputDir, 'training_curves.svg');
  const temporary = path.join(outputDir, `.training_curves.svg.tmp-${process.pid}`);
  fs.writeFileSync(temporary, trainingCurvesSvg({ logHistory: result.logHistory, totalSteps: result.totalSteps, ...(result.best ? { bestStep: result.best.step } : {}), title }));
  fs.renameSync(temporary, file);
}

/**
 * Runs `use` with the TensorBoard folder's top entry in `outputDir` (runs/ by default) moved
 * beside it, and puts it back after, whatever happens. checkOutputDirectory and
 * writeOutputDirectory (ts/train/output.ts) accept only checkpoint-<step>/ folders in an output
 * folder that exists; this keeps them unchanged until they know of the logging folder. A
 * copy left aside by a killed process is put back first.
 */
export async function withLogsAside<T>(outputDir: string, logDir: string | undefined, use: () => Promise<T>): Promise<T> {
  const relative = logDir ? path.relative(path.resolve(outputDir), path.resolve(logDir)) : '..';
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return use();
  const entry = path.join(outputDir, relative.split(path.sep)[0]);
  const aside = path.join(path.dirname(path.resolve(outputDir)), `.${path.basename(path.resolve(outputDir))}.${path.basename(entry)}-aside`);
  if (fs.existsSync(aside) && !fs.existsSync(entry)) {
    fs.mkdirSync(outputDir, { recursive: true });
    fs.renameSync(aside, entry);
  }
  if (!fs.existsSync(entry)) return use();
  fs.renameSync(entry, aside);
  try {
    return await use();
  } finally {
    fs.mkdirSync(outputDir, { recursive: true });
    fs.renameSync(aside, entry);
  }
}
