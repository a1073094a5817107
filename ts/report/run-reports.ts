// The reporters of one `train` run on its event stream, as the command wires them: TensorBoard
// event files (--report-to), plain progress lines where stderr is not a terminal, and the text
// of training_curves.svg, which writeOutputDirectory (ts/train/output.ts) writes with the other
// output files. Rank 0 only.
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

/** training_curves.svg's text for a finished run (writeOutputDirectory writes it with the other files). */
export function runTrainingCurves(result: TrainResult, title: string): string {
  return trainingCurvesSvg({ logHistory: result.logHistory, totalSteps: result.totalSteps, ...(result.best ? { bestStep: result.best.step } : {}), title });
}
